// Command gen writes a realistic cspbill inbox (SPEC §1) of N order lines,
// deterministic by seed, for load tests and benchmarks:
//
//	go run ./scripts/gen -n 100000 -seed 1 -out /tmp/inbox
//
// It writes customers.csv (N/10 customers over the fixture countries and
// currencies, AU/BR tax-inclusive, JPY, KWD, a few Kosovo and Irish — no tax
// rate, so held — customers and a few with an unknown currency), catalog.csv
// (the fixture SKUs in every currency, three price generations), taxes.csv,
// orders.csv (N rows), cancellations.csv (about 5% of lines) and
// renewals.csv. About 1% of the order rows are bad on purpose (unknown
// customer, quantity 0/-1/1.5, a plan the catalog does not list, V3, V4,
// missing subscription_id, conflicting resends) and a few are identical
// resends. Everything is streamed: memory does not grow with N. Customer
// attributes are a pure function of (seed, index), so orders can pick any
// customer without keeping the list.
//
// With -recon-from it writes instead, from a close's invoice-lines.csv, a
// Partner Center reconciliation file for the bench's reconcile (recon.go).
package main

import (
	"bufio"
	"encoding/csv"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// The dates the rules turn on (SPEC R1, V3, V4) and the generated span.
var (
	spanFrom   = day(2021, 6, 1)
	spanTo     = day(2026, 10, 31) // last day of the month the bench closes
	autoRenew  = day(2021, 10, 14)
	rollback   = day(2022, 1, 22)
	recentFrom = day(2026, 8, 1)
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// country is one market: its currency, tax rate ("" = no row in taxes.csv:
// every posting held, C4) and weight among customers.
type country struct {
	code, currency, rate string
	weight               int
	suffix               string
}

var countries = []country{
	{"US", "USD", "0.0", 300, "com"},
	{"DE", "EUR", "0.19", 140, "de"},
	{"GB", "GBP", "0.20", 120, "co.uk"},
	{"AU", "AUD", "0.10", 80, "com.au"}, // tax-inclusive (C4)
	{"BR", "BRL", "0.17", 60, "com.br"}, // tax-inclusive (C4)
	{"JP", "JPY", "0.10", 80, "co.jp"},  // 0 decimals
	{"KW", "KWD", "0.0", 40, "com.kw"},  // 3 decimals
	{"FR", "EUR", "0.20", 50, "fr"},
	{"NL", "EUR", "0.21", 40, "nl"},
	{"IT", "EUR", "0.22", 30, "it"},
	{"XK", "EUR", "0.18", 20, "example"}, // Kosovo: no Azure reservations (V5)
	{"IE", "EUR", "", 5, "ie"},           // no tax row: held (C4)
}

var totalWeight = func() int {
	t := 0
	for _, c := range countries {
		t += c.weight
	}
	return t
}()

// fx converts the USD base price into each catalog currency.
var fx = []struct {
	cur  string
	rate string
	dp   int32 // decimals kept in the catalog price
}{
	{"USD", "1", 4}, {"EUR", "0.92", 4}, {"GBP", "0.79", 4}, {"AUD", "1.52", 2},
	{"BRL", "5.0", 2}, {"JPY", "149", 1}, {"KWD", "0.308", 4},
}

// sku is one catalog product; terms maps each term to its billing plans and
// USD base price (per unit, whole term).
type sku struct {
	id, name, kind, publisher string
	terms                     []skuTerm
	weight                    int
}

type skuTerm struct {
	term  string
	plans []string
	usd   string
}

var skus = []sku{
	{"WS2022-STD-PERP", "Windows Server 2022 Standard - 16 Core License Pack", "perpetual", "Microsoft",
		[]skuTerm{{"none", []string{"one_time"}, "1234.5675"}}, 8},
	{"WS2022-DC-PERP", "Windows Server 2022 Datacenter - 16 Core License Pack", "perpetual", "Microsoft",
		[]skuTerm{{"none", []string{"one_time"}, "6155.00"}}, 4},
	{"SQL2022-STD-PERP", "SQL Server 2022 Standard - 2 Core License Pack", "perpetual", "Microsoft",
		[]skuTerm{{"none", []string{"one_time"}, "3945.00"}}, 5},
	{"SQL2022-ENT-PERP", "SQL Server 2022 Enterprise - 2 Core License Pack", "perpetual", "Microsoft",
		[]skuTerm{{"none", []string{"one_time"}, "15123.00"}}, 3},
	{"WS2022-STD-SUB", "Windows Server 2022 Standard - 16 Core License Pack (subscription)", "subscription", "Microsoft",
		[]skuTerm{{"P1Y", []string{"annual"}, "300.00"}, {"P3Y", []string{"annual", "triennial"}, "855.00"}}, 12},
	{"WS2022-DC-SUB", "Windows Server 2022 Datacenter - 16 Core License Pack (subscription)", "subscription", "Microsoft",
		[]skuTerm{{"P1Y", []string{"annual"}, "1850.00"}, {"P3Y", []string{"annual", "triennial"}, "5000.00"}}, 6},
	{"SQL2022-STD-SUB", "SQL Server 2022 Standard - 2 Core License Pack (subscription)", "subscription", "Microsoft",
		[]skuTerm{{"P1Y", []string{"annual"}, "1499.9950"}, {"P3Y", []string{"annual", "triennial"}, "4567.8925"}}, 8},
	{"SQL2022-ENT-SUB", "SQL Server 2022 Enterprise - 2 Core License Pack (subscription)", "subscription", "Microsoft",
		[]skuTerm{{"P1Y", []string{"annual"}, "7999.00"}, {"P3Y", []string{"annual", "triennial"}, "21000.00"}}, 4},
	{"RDS-CAL-2022", "Windows Server 2022 Remote Desktop Services - User CAL", "subscription", "Microsoft",
		[]skuTerm{{"P1Y", []string{"monthly", "annual"}, "131.40"}}, 15},
	{"AZ-RI-D4SV5", "Azure Reserved VM Instance - D4s v5 - West Europe", "reservation", "Microsoft",
		[]skuTerm{{"P1Y", []string{"annual"}, "1640.00"}, {"P3Y", []string{"annual", "triennial"}, "4321.12"}}, 6},
	{"AZ-RI-E8SV5", "Azure Reserved VM Instance - E8s v5 - East US", "reservation", "Microsoft",
		[]skuTerm{{"P1Y", []string{"annual"}, "3510.00"}, {"P3Y", []string{"annual", "triennial"}, "9240.00"}}, 4},
	{"SUSE-SLES-STD", "SUSE Linux Enterprise Server Standard (1-2 vCPU VM)", "software_plan", "SUSE",
		[]skuTerm{{"P1Y", []string{"annual"}, "799.9950"}}, 4},
	{"RHEL-SERVER-STD", "Red Hat Enterprise Linux Server Standard (1-2 sockets)", "software_plan", "Red Hat",
		[]skuTerm{{"P1Y", []string{"annual"}, "1099.00"}}, 3},
}

var skuWeight = func() int {
	t := 0
	for _, s := range skus {
		t += s.weight
	}
	return t
}()

// Price generations: each (sku, term, currency) gets a row from 2021-01-01,
// a 5% rise from 2023-07-01 and a 3% rise from 2026-10-01. One gap on
// purpose, as in the fixtures: RDS-CAL-2022 in KWD ends 2026-09-30 with no
// successor, so its renewals from October are held (R3).
var generations = []struct {
	from   string
	factor string
}{{"2021-01-01", "1"}, {"2023-07-01", "1.05"}, {"2026-10-01", "1.0815"}}

func main() {
	n := flag.Int("n", 1000, "order lines to write")
	seed := flag.Uint64("seed", 1, "random seed (same seed, same files)")
	out := flag.String("out", "", "inbox directory to write (created); with -recon-from, the file")
	reconFrom := flag.String("recon-from", "", "write instead a Partner Center file from this invoice-lines.csv")
	flag.Parse()
	if *out == "" || *n < 1 {
		fmt.Fprintln(os.Stderr, "usage: gen -n N -seed S -out DIR | gen -recon-from invoice-lines.csv -seed S -out FILE")
		os.Exit(2)
	}
	if *reconFrom != "" {
		if _, err := reconFile(*reconFrom, *out, *seed); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*n, *seed, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// csvFile is one output file: a buffered CSV writer and a row counter.
type csvFile struct {
	f    *os.File
	b    *bufio.Writer
	w    *csv.Writer
	rows int
}

func create(dir, name string, header ...string) (*csvFile, error) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	b := bufio.NewWriterSize(f, 1<<16)
	c := &csvFile{f: f, b: b, w: csv.NewWriter(b)}
	if err := c.w.Write(header); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *csvFile) write(rec ...string) {
	_ = c.w.Write(rec) // errors surface through Error() in close
	c.rows++
}

func (c *csvFile) close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	if err := c.b.Flush(); err != nil {
		return err
	}
	return c.f.Close()
}

type gen struct {
	seed  uint64
	r     *rand.Rand
	nCust int

	orders, cancels, renewals *csvFile
	counts                    map[string]int
}

func run(n int, seed uint64, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	g := &gen{seed: seed, r: rand.New(rand.NewPCG(seed, 0x63737062696c6c)), nCust: max(n/10, 20),
		counts: map[string]int{}}
	if err := g.customers(out); err != nil {
		return err
	}
	if err := writeCatalog(out); err != nil {
		return err
	}
	if err := writeTaxes(out); err != nil {
		return err
	}
	var err error
	if g.orders, err = create(out, "orders.csv", "order_id", "line_no", "customer_id", "order_date", "sku_id",
		"term", "billing_plan", "quantity", "subscription_id", "auto_renew"); err != nil {
		return err
	}
	if g.cancels, err = create(out, "cancellations.csv", "order_id", "line_no", "cancelled_at", "requested_by",
		"role", "reason"); err != nil {
		return err
	}
	if g.renewals, err = create(out, "renewals.csv", "subscription_id", "action", "effective_at", "requested_by",
		"role", "term", "billing_plan", "quantity"); err != nil {
		return err
	}
	g.writeOrders(n)
	for _, c := range []*csvFile{g.orders, g.cancels, g.renewals} {
		if err := c.close(); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "gen: %s: %d customers, %d orders, %d cancellations, %d renewals; bad on purpose: %v\n",
		out, g.nCust, g.orders.rows, g.cancels.rows, g.renewals.rows, g.counts)
	return nil
}

// mix is splitmix64: customer attributes are a pure function of (seed, i).
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// customer i (0-based): its country, and whether its row is bad (unknown
// currency: the row is rejected and its orders are unknown customers).
func (g *gen) customer(i int) (c country, bad bool) {
	h := mix(g.seed<<32 ^ uint64(i))
	w := int(h % uint64(totalWeight))
	for _, c = range countries {
		if w < c.weight {
			break
		}
		w -= c.weight
	}
	return c, (h>>32)%1000 < 3
}

func custID(i int) string { return fmt.Sprintf("C%07d", i+1) }

func (g *gen) customers(out string) error {
	f, err := create(out, "customers.csv", "customer_id", "name", "domain", "country", "currency")
	if err != nil {
		return err
	}
	suffixes := []string{"Ltd", "GmbH", "LLC", "Pty Ltd", "Ltda", "KK", "SARL", "BV", "S.p.A.", "Inc."}
	for i := 0; i < g.nCust; i++ {
		c, bad := g.customer(i)
		cur := c.currency
		if bad {
			cur = "XYZ"
		}
		name := fmt.Sprintf("Customer %d %s", i+1, suffixes[mix(uint64(i))%uint64(len(suffixes))])
		if i%997 == 5 {
			name = "+" + name // formula-looking text: must stay text in the workbook
		} else if i%1009 == 7 {
			name = "=" + name
		}
		f.write(custID(i), name, fmt.Sprintf("customer%d.%s", i+1, c.suffix), c.code, cur)
	}
	return f.close()
}

func writeCatalog(out string) error {
	f, err := create(out, "catalog.csv", "sku_id", "product_name", "kind", "publisher", "term", "billing_plans",
		"currency", "unit_price", "effective_from", "effective_to")
	if err != nil {
		return err
	}
	for _, s := range skus {
		for _, t := range s.terms {
			plans := ""
			for i, p := range t.plans {
				if i > 0 {
					plans += ";"
				}
				plans += p
			}
			for _, x := range fx {
				base := decimal.RequireFromString(t.usd).Mul(decimal.RequireFromString(x.rate))
				for gi, gen := range generations {
					to := ""
					if s.id == "RDS-CAL-2022" && x.cur == "KWD" {
						if gi == 2 {
							continue
						}
						if gi == 1 {
							to = "2026-09-30"
						}
					}
					price := base.Mul(decimal.RequireFromString(gen.factor)).Round(x.dp).StringFixed(x.dp)
					f.write(s.id, s.name, s.kind, s.publisher, t.term, plans, x.cur, price, gen.from, to)
				}
			}
		}
	}
	// An identical resend (seen) and a contradicting row (rejected), as a
	// real partner's catalog exports carry.
	f.write("WS2022-DC-PERP", skus[1].name, "perpetual", "Microsoft", "none", "one_time", "USD", "6155.0000",
		"2021-01-01", "")
	f.write("WS2022-DC-PERP", skus[1].name, "perpetual", "Microsoft", "none", "one_time", "USD", "6200.00",
		"2021-01-01", "")
	return f.close()
}

func writeTaxes(out string) error {
	f, err := create(out, "taxes.csv", "country", "rate")
	if err != nil {
		return err
	}
	for _, c := range countries {
		if c.rate != "" {
			f.write(c.code, c.rate)
		}
	}
	f.write("DE", "0.19") // identical: seen
	f.write("ZZ", "0.05") // unknown country: rejected
	return f.close()
}

// line is one generated order line, kept only until the next one is made
// (for resends).
type line struct {
	rec        []string
	kind       string
	date       time.Time // UTC
	sku        *sku
	term       string
	subID      string
	sound      bool // not bad on purpose: worth cancelling or renewing
	orderID    string
	lineNo     string
	customerOK bool
}

func (g *gen) pick(p float64) bool { return g.r.Float64() < p }

func (g *gen) orderDate() time.Time {
	var d time.Time
	switch x := g.r.Float64(); {
	case x < 0.005:
		d = []time.Time{autoRenew, rollback.AddDate(0, 0, -1), rollback}[g.r.IntN(3)]
	case x < 0.25:
		d = recentFrom.AddDate(0, 0, g.r.IntN(int(spanTo.Sub(recentFrom).Hours()/24)+1))
	default:
		d = spanFrom.AddDate(0, 0, g.r.IntN(int(spanTo.Sub(spanFrom).Hours()/24)+1))
	}
	return d.Add(time.Duration(g.r.IntN(86400)) * time.Second)
}

var zones = []*time.Location{
	time.FixedZone("", 2*3600), time.FixedZone("", -5*3600), time.FixedZone("", 11*3600),
	time.FixedZone("", 3*3600), time.FixedZone("", -3*3600), time.FixedZone("", 9*3600),
}

// stamp formats an instant as SPEC timestamps come: mostly UTC RFC 3339,
// some with an offset (the same instant, so the UTC date is unchanged), a
// few bare dates (midnight UTC: the instant's UTC date).
func (g *gen) stamp(t time.Time) string {
	switch x := g.r.Float64(); {
	case x < 0.7:
		return t.Format(time.RFC3339)
	case x < 0.9:
		return t.In(zones[g.r.IntN(len(zones))]).Format(time.RFC3339)
	default:
		return t.Format("2006-01-02")
	}
}

func (g *gen) pickSKU() *sku {
	w := g.r.IntN(skuWeight)
	for i := range skus {
		if w < skus[i].weight {
			return &skus[i]
		}
		w -= skus[i].weight
	}
	return &skus[len(skus)-1]
}

func (g *gen) quantity() int {
	if g.pick(0.8) {
		return 1 + g.r.IntN(10)
	}
	return 1 + g.r.IntN(200)
}

func (g *gen) writeOrders(n int) {
	order, lineNo, linesLeft := 0, 0, 0
	var custIdx int
	var date time.Time
	var prev *line
	for written := 0; written < n; {
		// Resends of the previous line: identical (seen) or conflicting (V6).
		if prev != nil && g.pick(0.003) {
			rec := append([]string(nil), prev.rec...)
			what := "resend_identical"
			if g.pick(0.2) {
				q, _ := strconv.Atoi(rec[7])
				rec[7] = strconv.Itoa(q + 1)
				what = "resend_conflicting"
			}
			g.orders.write(rec...)
			g.counts[what]++
			written++
			continue
		}
		if linesLeft == 0 {
			order++
			lineNo = 0
			linesLeft = 1
			if g.pick(0.25) {
				linesLeft += 1 + g.r.IntN(2)
			}
			custIdx = g.r.IntN(g.nCust)
			date = g.orderDate()
		}
		linesLeft--
		lineNo++
		l := g.makeLine(order, lineNo, custIdx, date)
		g.orders.write(l.rec...)
		written++
		if l.sound {
			g.follow(l)
		}
		prev = l
	}
	// Records whose order or subscription never arrives: held (K6) and V1.
	for i := 0; i < max(n/2000, 1); i++ {
		at := g.orderDate()
		g.cancels.write(fmt.Sprintf("O-9%07d", i), "1", g.stamp(at), "alice@partner.example", "admin_agent",
			"order not yet received")
		g.renewals.write(fmt.Sprintf("S-9%07d-1", i), "auto_renew_off", g.stamp(at), "alice@partner.example",
			"admin_agent", "", "", "")
	}
}

func (g *gen) makeLine(order, lineNo, custIdx int, date time.Time) *line {
	c, badCust := g.customer(custIdx)
	l := &line{orderID: fmt.Sprintf("O-%07d", order), lineNo: strconv.Itoa(lineNo), date: date,
		customerOK: !badCust && c.rate != ""}
	l.sku = g.pickSKU()
	l.kind = l.sku.kind
	t := l.sku.terms[g.r.IntN(len(l.sku.terms))]
	l.term = t.term
	plan := t.plans[g.r.IntN(len(t.plans))]
	if l.sku.id == "RDS-CAL-2022" {
		plan = "annual"
		if g.pick(0.7) {
			plan = "monthly"
		}
	}
	termCol := l.term
	cust := custID(custIdx)
	qty := strconv.Itoa(g.quantity())
	autoRenewCol := ""
	if l.kind == "perpetual" {
		if g.pick(0.05) {
			termCol = ""
		}
		if g.pick(0.05) {
			plan = ""
		}
	} else {
		l.subID = fmt.Sprintf("S-%07d-%d", order, lineNo)
		if date.Before(rollback) && g.pick(0.4) {
			plan = "one_time" // legacy (V3 accepts it up to 2022-01-22)
			if len(l.sku.terms) == 1 && g.pick(0.3) {
				termCol = "" // V4: the SKU's only term
			}
		}
		switch x := g.r.Float64(); {
		case x < 0.2:
			autoRenewCol = "true"
		case x < 0.4:
			autoRenewCol = "false"
		}
	}
	l.sound = true
	if g.pick(0.01) { // bad on purpose
		l.sound = false
		switch k := g.r.IntN(7); k {
		case 0:
			cust = fmt.Sprintf("C9%07d", g.r.IntN(1e6))
			g.counts["unknown_customer"]++
		case 1:
			qty = []string{"0", "-1", "1.5"}[g.r.IntN(3)]
			g.counts["bad_quantity"]++
		case 2:
			if l.kind == "perpetual" {
				plan = "annual"
			} else {
				plan = []string{"weekly", "monthly", "quarterly"}[g.r.IntN(3)]
				if l.sku.id == "RDS-CAL-2022" {
					plan = "triennial"
				}
			}
			g.counts["bad_plan"]++
		case 3, 4:
			if l.kind == "perpetual" {
				qty = "0"
				g.counts["bad_quantity"]++
				break
			}
			if date.Before(rollback) {
				date = rollback.AddDate(0, 0, g.r.IntN(1000)).Add(time.Duration(g.r.IntN(86400)) * time.Second)
				l.date = date
			}
			if k == 3 {
				plan = "one_time" // V3: legacy plan after 2022-01-22
				g.counts["V3"]++
			} else {
				termCol = "" // V4: term required from 2022-01-22
				g.counts["V4"]++
			}
		case 5:
			if l.kind == "perpetual" {
				cust = fmt.Sprintf("C9%07d", g.r.IntN(1e6))
				g.counts["unknown_customer"]++
				break
			}
			l.subID = ""
			g.counts["missing_subscription_id"]++
		case 6:
			l.sku = &sku{id: "WS2019-STD-PERP"}
			g.counts["unknown_sku"]++
		}
	}
	l.rec = []string{l.orderID, l.lineNo, cust, g.stamp(date), l.sku.id, termCol, plan, qty, l.subID, autoRenewCol}
	return l
}

// follow writes the cancellations and renewal records of a sound line.
func (g *gen) follow(l *line) {
	utcDay := time.Date(l.date.Year(), l.date.Month(), l.date.Day(), 0, 0, 0, 0, time.UTC)
	room := int(spanTo.Sub(utcDay).Hours() / 24) // days until the last day of the closed month
	if g.pick(0.05) {
		d := g.r.IntN(31) // K1: within the window
		if g.pick(0.25) {
			d = 31 + g.r.IntN(400) // outside it: rejected unless a renewal reopened it
		}
		d = min(d, room)
		at := utcDay.AddDate(0, 0, d).Add(time.Duration(g.r.IntN(86400)) * time.Second)
		if d == 0 && at.Before(l.date) {
			at = l.date.Add(time.Minute)
		}
		role := "admin_agent"
		switch x := g.r.Float64(); {
		case x < 0.03:
			role = "global_admin"
		case x < 0.05:
			role = "helpdesk"
		}
		reasons := []string{"customer ordered the wrong edition", "no longer needed", "project cancelled",
			"wrong quantity", "duplicate purchase", "customer downsizing"}
		g.cancels.write(l.orderID, l.lineNo, g.stamp(at), "alice@partner.example", role,
			reasons[g.r.IntN(len(reasons))])
	}
	if l.kind == "perpetual" || l.subID == "" || !g.pick(0.06) || room < 1 {
		return
	}
	at := utcDay.AddDate(0, 0, 1+g.r.IntN(room)).Add(time.Duration(g.r.IntN(86400)) * time.Second)
	role := "admin_agent"
	switch x := g.r.Float64(); {
	case x < 0.37:
		role = "global_admin"
	case x < 0.40:
		role = "helpdesk"
	}
	who := "bob@partner.example"
	if g.pick(0.5) {
		switch {
		case g.pick(0.5):
			g.renewals.write(l.subID, "auto_renew_off", g.stamp(at), who, role, "", "", "")
		default:
			g.renewals.write(l.subID, "auto_renew_on", g.stamp(at), who, role, "", "", "")
		}
		return
	}
	// A renew record, dated within the first term, with changes for the next.
	termDays := 365
	if l.term == "P3Y" {
		termDays = 3 * 365
	}
	if d := min(termDays, room); d >= 1 {
		at = utcDay.AddDate(0, 0, 1+g.r.IntN(d)).Add(time.Duration(g.r.IntN(86400)) * time.Second)
	}
	term, plan, qty := "", "", ""
	switch x := g.r.Float64(); {
	case x < 0.3:
		qty = strconv.Itoa(g.quantity())
	case x < 0.45:
		// a plan the next term's catalog row lists
		t := l.sku.terms[0]
		for _, st := range l.sku.terms {
			if st.term == l.term {
				t = st
			}
		}
		plan = t.plans[g.r.IntN(len(t.plans))]
	case x < 0.55:
		if len(l.sku.terms) > 1 {
			t := l.sku.terms[g.r.IntN(len(l.sku.terms))]
			term, plan = t.term, t.plans[g.r.IntN(len(t.plans))]
		}
	}
	g.renewals.write(l.subID, "renew", g.stamp(at), who, role, term, plan, qty)
}
