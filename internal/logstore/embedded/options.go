package embedded

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// SyncMode says when committed data is forced to stable storage.
type SyncMode int

const (
	// SyncAlways fsyncs the segments and the journal before Commit returns:
	// a committed transaction survives a power loss. It is the default.
	SyncAlways SyncMode = iota
	// SyncInterval fsyncs in the background every Options.SyncInterval. A
	// process crash loses nothing; a power loss may lose the last interval.
	SyncInterval
	// SyncNever leaves flushing to the operating system. A process crash
	// loses nothing; a power loss may lose any recent commit.
	SyncNever
)

func (m SyncMode) String() string {
	switch m {
	case SyncAlways:
		return "always"
	case SyncInterval:
		return "interval"
	case SyncNever:
		return "never"
	}
	return fmt.Sprintf("SyncMode(%d)", int(m))
}

// ParseSyncMode reads "always", "interval" or "never".
func ParseSyncMode(s string) (SyncMode, error) {
	switch s {
	case "always", "":
		return SyncAlways, nil
	case "interval":
		return SyncInterval, nil
	case "never":
		return SyncNever, nil
	}
	return 0, fmt.Errorf("embedded: unknown sync mode %q (want always, interval or never)", s)
}

// Options configures an embedded Log. The zero value is usable: Open calls
// EnsureDefaults, which fills every unset field.
type Options struct {
	// Sync is the durability policy. Default SyncAlways.
	Sync SyncMode
	// SyncInterval is the flush period under SyncInterval. Default 1s.
	SyncInterval time.Duration
	// SegmentBytes is the size at which a partition rolls to a new segment
	// file. Retention and compaction work on whole closed segments, so
	// smaller segments free space sooner. Default 128 MiB, at most 1 GiB
	// (index entries hold 32-bit positions). A topic's "segment.bytes"
	// config overrides it.
	SegmentBytes int64
	// IndexIntervalBytes is the number of segment bytes between two sparse
	// index entries; a lookup scans at most this much. Default 4 KiB.
	IndexIntervalBytes int64
	// RetentionCheckInterval is how often the background cleaner applies
	// retention and compaction. Default 5 minutes, as Kafka's
	// log.retention.check.interval.ms.
	RetentionCheckInterval time.Duration
	// DeleteRetention is how long a compacted topic keeps tombstones after
	// their segment was last written, so that slow readers still see the
	// delete. Default 24h, as Kafka's delete.retention.ms; a topic's
	// "delete.retention.ms" config overrides it.
	DeleteRetention time.Duration
	// MaxRecordBytes bounds one encoded record; Produce rejects larger ones
	// with logstore.ErrRecordTooLarge. Default 8 MiB; a topic's
	// "max.message.bytes" config overrides it.
	MaxRecordBytes int
	// JournalSnapshotBytes is the journal size past which the committed
	// ends and group offsets are written to a snapshot and the journal is
	// restarted, so that it never grows without bound. Default 4 MiB.
	JournalSnapshotBytes int64
	// Logger receives recovery and cleaner events. Default: discard.
	Logger *slog.Logger

	// now is the clock used by retention and compaction; tests replace it.
	now func() time.Time
}

const maxSegmentBytes = 1 << 30

// EnsureDefaults fills unset fields with their defaults and returns o.
func (o *Options) EnsureDefaults() *Options {
	if o.SyncInterval <= 0 {
		o.SyncInterval = time.Second
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 128 << 20
	}
	if o.IndexIntervalBytes <= 0 {
		o.IndexIntervalBytes = 4 << 10
	}
	if o.RetentionCheckInterval <= 0 {
		o.RetentionCheckInterval = 5 * time.Minute
	}
	if o.DeleteRetention <= 0 {
		o.DeleteRetention = 24 * time.Hour
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = 8 << 20
	}
	if o.JournalSnapshotBytes <= 0 {
		o.JournalSnapshotBytes = 4 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.now == nil {
		o.now = time.Now
	}
	return o
}

// Validate reports options that cannot work.
func (o *Options) Validate() error {
	var errs []error
	if o.Sync < SyncAlways || o.Sync > SyncNever {
		errs = append(errs, fmt.Errorf("embedded: Sync %v is not a sync mode", o.Sync))
	}
	if o.SegmentBytes > maxSegmentBytes {
		errs = append(errs, fmt.Errorf("embedded: SegmentBytes %d exceeds %d", o.SegmentBytes, maxSegmentBytes))
	}
	if o.SegmentBytes > 0 && o.SegmentBytes < 1024 {
		errs = append(errs, fmt.Errorf("embedded: SegmentBytes %d is below 1024", o.SegmentBytes))
	}
	if o.MaxRecordBytes > maxSegmentBytes/2 {
		errs = append(errs, fmt.Errorf("embedded: MaxRecordBytes %d exceeds %d", o.MaxRecordBytes, maxSegmentBytes/2))
	}
	return errors.Join(errs...)
}
