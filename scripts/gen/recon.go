package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/shopspring/decimal"
)

// reconHeader is what reconFile writes of a Partner Center reconciliation
// file: the columns cspbill reads.
var reconHeader = []string{"CustomerId", "OrderId", "SubscriptionId", "ProductId", "SkuId", "ChargeType",
	"ChargeStartDate", "Quantity", "Subtotal", "TaxTotal", "Total", "Currency", "ReferenceId"}

// reconFile writes, from a close's invoice-lines.csv, the Partner Center
// file that billed the same month with a few differences, in an order that
// is not the ledger's (shuffled by seed): 1 line in 100 is missing
// (ledger_only), 1 in 200 billed 1.00 more (differs), 1 in 100 billed again
// to a customer cspbill does not know (partner_center_only), and 1 in 50
// wiped and recreated under one ReferenceId (netted back to the line). It
// returns the rows written. The rows are held to be shuffled (the bench
// runs it as a child: a child's peak RSS on Linux counts its parent's at
// exec).
func reconFile(linesPath, out string, seed uint64) (int, error) {
	in, err := os.Open(linesPath)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	r := csv.NewReader(bufio.NewReader(in))
	head, err := r.Read()
	if err != nil {
		return 0, err
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	var rows [][]string
	for n := 0; ; n++ {
		l, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		get := func(c string) string { return l[col[c]] }
		row := []string{get("customer_id"), get("order_id"), get("subscription_id"), get("sku_id"), "", get("charge_type"),
			get("charge_start"), get("quantity"), get("net"), get("tax"), get("gross"), get("currency"), fmt.Sprintf("R-%d", n)}
		const sub, total, ref = 8, 10, 12
		switch {
		case n%100 == 99:
			continue
		case n%200 == 7:
			for _, i := range []int{sub, total} {
				d, err := decimal.NewFromString(row[i])
				if err != nil {
					return 0, fmt.Errorf("%s:%d: %v", linesPath, n+2, err)
				}
				row[i] = d.Add(decimal.NewFromInt(1)).StringFixed(-d.Exponent())
			}
		case n%100 == 11:
			stranger := append([]string(nil), row...)
			stranger[0], stranger[ref] = fmt.Sprintf("tenant-%d", n), fmt.Sprintf("U-%d", n)
			rows = append(rows, stranger)
		case n%50 == 3:
			wipe := append([]string(nil), row...)
			for _, i := range []int{sub, total, sub + 1} {
				if s, ok := strings.CutPrefix(wipe[i], "-"); ok {
					wipe[i] = s
				} else if !decimal.RequireFromString(s).IsZero() {
					wipe[i] = "-" + s
				}
			}
			rows = append(rows, wipe, append([]string(nil), row...))
		}
		rows = append(rows, row)
	}
	rand.New(rand.NewPCG(seed, 2)).Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	f, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	w := csv.NewWriter(bufio.NewWriter(f))
	w.Write(reconHeader)
	w.WriteAll(rows) // flushes
	if err := w.Error(); err != nil {
		f.Close()
		return 0, err
	}
	return len(rows), f.Close()
}
