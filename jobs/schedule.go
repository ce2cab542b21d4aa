package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"cspbill/invoice"
)

// ScheduleConfig says which jobs run when. An empty spec turns a job off.
type ScheduleConfig struct {
	Location *time.Location // the time zone cron reads the specs in (UTC by default)
	Ingest   string         // e.g. "*/5 * * * *"
	Post     string         // e.g. "30 2 * * *": post through today
	Close    string         // e.g. "0 4 1 * *": close the previous month
	Inbox    string
	Out      string
	Close2   CloseOptions // PerCustomer and MaxSheetRows for scheduled closes
}

// Schedule runs the jobs on their cron schedules until ctx is cancelled
// (SIGINT or SIGTERM). It is a thin shell over the same job functions the
// one-shot commands call. A job still running when its next turn comes is
// skipped; two processes are kept apart by the ledger lock. On cancellation
// a running job stops at its next check and rolls back its open database
// transaction, so it leaves no partial work; Schedule returns when it has.
func Schedule(ctx context.Context, d Deps, cfg ScheduleConfig) error {
	loc := cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	log := d.logger()
	c := cron.New(cron.WithLocation(loc))
	add := func(name, spec string, job func(context.Context) (Summary, error)) error {
		if spec == "" {
			return nil
		}
		// Each job has its own skip wrapper, whose "cron: skip" line names
		// the job that is still running.
		skip := cron.SkipIfStillRunning(cronLogger{log.With("job", name)})
		_, err := c.AddJob(spec, skip(cron.FuncJob(func() {
			if ctx.Err() != nil {
				return
			}
			s, err := job(ctx)
			if err != nil {
				log.Error("scheduled job failed", "job", name, "run", s.RunID, "error", err.Error())
				return
			}
			log.Info("scheduled job done", "job", name, "run", s.RunID, "attention", s.NeedsAttention())
		})))
		if err != nil {
			return fmt.Errorf("%w: --%s %q: %v", ErrUsage, name, spec, err)
		}
		log.Info("scheduled", "job", name, "spec", spec, "tz", loc.String())
		return nil
	}
	// The day a scheduled post runs through, and the month a close closes
	// (the one before today's), are UTC, whatever zone the specs are read
	// in: a period is a calendar month in UTC (P1). With --tz ahead of UTC,
	// "0 4 1 * *" fires before the UTC month has ended and closes the month
	// before it; schedule the close after midnight UTC instead (README).
	today := func() invoice.Date {
		t := d.now().UTC()
		return invoice.NewDate(t.Year(), t.Month(), t.Day())
	}
	err := add("ingest", cfg.Ingest, func(ctx context.Context) (Summary, error) { return Ingest(ctx, d, cfg.Inbox) })
	if err == nil {
		err = add("post", cfg.Post, func(ctx context.Context) (Summary, error) { return Post(ctx, d, today(), false) })
	}
	if err == nil {
		err = add("close", cfg.Close, func(ctx context.Context) (Summary, error) {
			opt := cfg.Close2
			opt.Period, opt.Out = today().Month()-1, cfg.Out
			return Close(ctx, d, opt)
		})
	}
	if err != nil {
		return err
	}
	c.Start()
	<-ctx.Done()
	log.Info("stopping: waiting for a running job to finish or roll back")
	<-c.Stop().Done()
	return nil
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Info("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "error", err.Error())...)
}
