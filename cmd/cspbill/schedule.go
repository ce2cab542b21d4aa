package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"time"

	"cspbill/jobs"
)

type scheduleFlags struct {
	tz, ingest, post, close, inbox, out string
	perCustomer                         bool
}

func (s *scheduleFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.tz, "tz", "UTC", "time zone the schedules are read in (IANA name)")
	fs.StringVar(&s.ingest, "ingest", "*/5 * * * *", "cron spec for ingest (empty: off)")
	fs.StringVar(&s.post, "post", "30 2 * * *", "cron spec for post through today (empty: off)")
	fs.StringVar(&s.close, "close", "0 4 1 * *", "cron spec for closing the previous month (empty: off)")
	fs.StringVar(&s.inbox, "inbox", "inbox", "inbox folder for ingest")
	fs.StringVar(&s.out, "out", "out", "folder for the invoice files of close")
	fs.BoolVar(&s.perCustomer, "per-customer", false, "closes also write per-customer files")
}

func (s *scheduleFlags) check() error {
	if _, err := time.LoadLocation(s.tz); err != nil {
		return errors.New("--tz: unknown time zone " + s.tz)
	}
	if s.ingest == "" && s.post == "" && s.close == "" {
		// It would wait for ever, doing nothing (found by an audit).
		return errors.New("--ingest, --post and --close are all off: nothing to schedule")
	}
	return nil
}

func runSchedule(ctx context.Context, d jobs.Deps, s scheduleFlags, stdout io.Writer) error {
	loc, _ := time.LoadLocation(s.tz)
	return jobs.Schedule(ctx, d, jobs.ScheduleConfig{Location: loc, Ingest: s.ingest, Post: s.post, Close: s.close,
		Inbox: s.inbox, Out: s.out, Close2: jobs.CloseOptions{PerCustomer: s.perCustomer}})
}
