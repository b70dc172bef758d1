package state

import "fmt"

// Changelog receives the point writes made through a logging view, in
// order: a Put as (key, value), a Delete as (key, nil), a tombstone. The
// task buffers them as records of the store's changelog topic, to commit in
// its log transaction before it commits the state batch. The slices are
// valid only during the call; copy them to keep them.
type Changelog func(key, value []byte) error

// WithChangelog returns a view of rw that reports every Put and Delete to
// log after applying it. Window and session stores built on the view log
// their own encoded keys, including their metadata, so replaying the
// changelog into a plain batch view (Put, or Delete for a tombstone)
// restores them exactly.
//
// DeleteRange is applied locally and not logged, as Kafka Streams drops
// expired segments without writing tombstones: a changelog cannot express
// a range delete, and what a window store range-deletes has expired, so the
// changelog topic's own retention removes it. A restored window store hides
// such records and deletes them when stream time next advances.
func WithChangelog(rw ReadWriter, log Changelog) ReadWriter {
	return &logged{ReadWriter: rw, log: log}
}

type logged struct {
	ReadWriter
	log Changelog
}

func (l *logged) Put(key, value []byte) error {
	if value == nil {
		// A nil value would read as a tombstone in the changelog; the
		// store keeps it as an empty value, so log it as one.
		value = []byte{}
	}
	if err := l.ReadWriter.Put(key, value); err != nil {
		return err
	}
	if err := l.log(key, value); err != nil {
		return fmt.Errorf("state: changelog put: %w", err)
	}
	return nil
}

func (l *logged) Delete(key []byte) error {
	if err := l.ReadWriter.Delete(key); err != nil {
		return err
	}
	if err := l.log(key, nil); err != nil {
		return fmt.Errorf("state: changelog delete: %w", err)
	}
	return nil
}

// Epoch forwards the epoch of the view underneath, so window and session
// stores over a logging view still notice dropped writes.
func (l *logged) Epoch() uint64 {
	if ep, ok := l.ReadWriter.(Epocher); ok {
		return ep.Epoch()
	}
	return 0
}
