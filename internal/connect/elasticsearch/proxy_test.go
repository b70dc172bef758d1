package elasticsearch_test

import (
	"io"
	"net"
	"sync"
	"testing"
)

// outage is a TCP relay in front of the shared search node that can go
// down and come back on the same address. The node is shared by every
// test binary, so the tests take the relay down instead of the node: the
// sink sees exactly what a restart shows it (refused connections, reset
// requests), and other packages' tests are left alone.
type outage struct {
	t       *testing.T
	backend string
	addr    string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func newOutage(t *testing.T, backend string) *outage {
	o := &outage{t: t, backend: backend, conns: map[net.Conn]bool{}}
	o.listen("127.0.0.1:0")
	t.Cleanup(func() { o.down(); o.wg.Wait() })
	return o
}

func (o *outage) url() string { return "http://" + o.addr }

func (o *outage) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		o.t.Fatalf("relay: %v", err)
	}
	o.mu.Lock()
	o.ln, o.addr = ln, ln.Addr().String()
	o.mu.Unlock()
	o.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			o.wg.Go(func() { o.relay(c) })
		}
	})
}

func (o *outage) relay(c net.Conn) {
	b, err := net.Dial("tcp", o.backend)
	if err != nil {
		c.Close()
		return
	}
	o.mu.Lock()
	if o.ln == nil {
		o.mu.Unlock()
		c.Close()
		b.Close()
		return
	}
	o.conns[c], o.conns[b] = true, true
	o.mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(func() { io.Copy(b, c); b.Close() })
	wg.Go(func() { io.Copy(c, b); c.Close() })
	wg.Wait()
	o.mu.Lock()
	delete(o.conns, c)
	delete(o.conns, b)
	o.mu.Unlock()
}

// down refuses new connections and cuts the open ones mid-request.
func (o *outage) down() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ln != nil {
		o.ln.Close()
		o.ln = nil
	}
	for c := range o.conns {
		c.Close()
	}
}

// up listens again on the same address.
func (o *outage) up() { o.listen(o.addr) }
