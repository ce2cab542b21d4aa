package recon

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cspbill/invoice"
	"cspbill/jobs/csvin"
)

// Sentinels wrapped by the row errors of ReadFile and ReadMap.
var (
	// ErrMissingValue: a value the matching needs is empty.
	ErrMissingValue = errors.New("missing value")
	// ErrBadQuantity: a quantity that is not a decimal number.
	ErrBadQuantity = errors.New("not a quantity")
	// ErrBadMapping: a mapping row with an unknown kind or one that
	// contradicts an earlier row.
	ErrBadMapping = errors.New("bad mapping")
)

// Row is one row of a Partner Center reconciliation file, or several rows
// sharing a ReferenceId after Match has netted them. Amounts are exact
// decimals in the currency's major unit, as Partner Center writes them
// (Partner Center may show more decimals than the currency has; nothing is
// rounded here).
type Row struct {
	File string
	Line int // physical line of the row (its first line), the header is line 1
	// Lines, on a row netted from several (Match nets rows sharing a
	// ReferenceId), are the lines of every row in it, in file order.
	Lines []int

	CustomerID         string // Partner Center's tenant id (a GUID), as written
	CustomerDomainName string
	CustomerName       string
	InvoiceNumber      string
	OrderID            string
	SubscriptionID     string
	ProductID          string
	SKUID              string
	ChargeType         string
	ChargeStart        invoice.Date
	ChargeEnd          invoice.Date // NoDate when empty
	Currency           invoice.Currency
	ReferenceID        string

	// Quantity is the number of units billed: the Quantity column, or
	// BillableQuantity where Quantity is absent or empty. It is positive on
	// refunds too (Partner Center writes a refund as negative amounts with a
	// positive quantity; a negative quantity is read as its absolute value).
	Quantity           decimal.Decimal
	EffectiveUnitPrice decimal.Decimal
	Subtotal           decimal.Decimal // before tax
	TaxTotal           decimal.Decimal
	Total              decimal.Decimal // Total, or totalForCustomer in the API
	// HasTax is true when the file carries a TaxTotal value for the row.
	HasTax bool
}

// Source is file:line of the row; a netted row names every line it nets,
// "recon.csv:5+7+9".
func (r *Row) Source() string {
	if len(r.Lines) < 2 {
		return r.File + ":" + strconv.Itoa(r.Line)
	}
	parts := make([]string, len(r.Lines))
	for i, l := range r.Lines {
		parts[i] = strconv.Itoa(l)
	}
	return r.File + ":" + strings.Join(parts, "+")
}

// refund reports whether the row gives money back: its Total, else its
// Subtotal, else its EffectiveUnitPrice is negative.
func (r *Row) refund() bool {
	for _, d := range []decimal.Decimal{r.Total, r.Subtotal, r.EffectiveUnitPrice} {
		if !d.IsZero() {
			return d.IsNegative()
		}
	}
	return false
}

// Column names: Partner Center's export headers. The aliases are what a
// header may say, lower-cased (headers are matched case-insensitively).
const (
	colCustomerID     = "CustomerId"
	colCustomerDomain = "CustomerDomainName"
	colCustomerName   = "CustomerName"
	colInvoiceNumber  = "InvoiceNumber"
	colOrderID        = "OrderId"
	colProductID      = "ProductId"
	colSKUID          = "SkuId"
	colChargeType     = "ChargeType"
	colQuantity       = "Quantity"
	colBillableQty    = "BillableQuantity"
	colSubtotal       = "Subtotal"
	colTaxTotal       = "TaxTotal"
	colTotal          = "Total"
	colCurrency       = "Currency"
	colSubscriptionID = "SubscriptionId"
	colChargeStart    = "ChargeStartDate"
	colChargeEnd      = "ChargeEndDate"
	colEffectivePrice = "EffectiveUnitPrice"
	colReferenceID    = "ReferenceId"
)

var reconColumns = []column{
	{colCustomerID, []string{"customerid"}},
	{colCustomerDomain, []string{"customerdomainname"}},
	{colCustomerName, []string{"customername"}},
	{colInvoiceNumber, []string{"invoicenumber"}},
	{colOrderID, []string{"orderid"}},
	{colProductID, []string{"productid"}},
	{colSKUID, []string{"skuid"}},
	{colChargeType, []string{"chargetype"}},
	{colQuantity, []string{"quantity"}},
	{colBillableQty, []string{"billablequantity"}},
	{colSubtotal, []string{"subtotal"}}, // Subtotal, subTotal, subtotal
	{colTaxTotal, []string{"taxtotal"}},
	{colTotal, []string{"total", "totalforcustomer"}},
	{colCurrency, []string{"currency"}},
	{colSubscriptionID, []string{"subscriptionid"}},
	{colChargeStart, []string{"chargestartdate"}},
	{colChargeEnd, []string{"chargeenddate"}},
	{colEffectivePrice, []string{"effectiveunitprice"}},
	{colReferenceID, []string{"referenceid"}},
}

// reconRequired are the columns a reconciliation file must have. Quantity
// (or BillableQuantity), CustomerDomainName, TaxTotal, ChargeEndDate,
// EffectiveUnitPrice and ReferenceId are read when present.
var reconRequired = []string{
	colCustomerID, colOrderID, colSubscriptionID, colProductID, colSKUID, colChargeType,
	colChargeStart, colSubtotal, colTotal, colCurrency,
}

// ReadFile reads a Partner Center reconciliation file (new commerce,
// invoice reconciliation) whole, in file order: ScanFile's rows and row
// errors. An error (a *FileError, or a read error) means the file cannot be
// used at all; the rows are then nil.
func ReadFile(name string, r io.Reader) ([]Row, []*RowError, error) {
	var rows []Row
	var rejects []*RowError
	err := ScanFile(name, r, func(row Row) error {
		rows = append(rows, row)
		return nil
	}, func(e *RowError) error {
		rejects = append(rejects, e)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return rows, rejects, nil
}

// ScanFile reads a Partner Center reconciliation file row by row, in file
// order: each row it can use goes to row, each row with a value it cannot
// use to reject as a *RowError, and the rest of the file is still read. An
// error from row or reject stops it and is returned; so is a *FileError or
// a read error, which means the file cannot be used at all.
func ScanFile(name string, r io.Reader, row func(Row) error, reject func(*RowError) error) error {
	s, err := newScanner(name, r, reconColumns, reconRequired)
	if err != nil {
		return err
	}
	if _, ok := s.index[colQuantity]; !ok {
		if _, ok := s.index[colBillableQty]; !ok {
			return fileErr(name, 1, "%w %q (or %q) (found: %s)", csvin.ErrMissingColumn, colQuantity, colBillableQty, strings.Join(nonEmpty(s.shown), ", "))
		}
	}
	for {
		rec, rerr, err := s.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if rerr == nil {
			var r Row
			if r, rerr = parseRow(rec); rerr == nil {
				if err := row(r); err != nil {
					return err
				}
				continue
			}
		}
		if err := reject(rerr); err != nil {
			return err
		}
	}
}

func parseRow(rec record) (Row, *RowError) {
	row := Row{
		File: rec.s.file, Line: rec.line,
		CustomerID:         rec.get(colCustomerID),
		CustomerDomainName: rec.get(colCustomerDomain),
		CustomerName:       rec.get(colCustomerName),
		InvoiceNumber:      rec.get(colInvoiceNumber),
		OrderID:            rec.get(colOrderID),
		SubscriptionID:     rec.get(colSubscriptionID),
		ProductID:          rec.get(colProductID),
		SKUID:              rec.get(colSKUID),
		ChargeType:         rec.get(colChargeType),
		ReferenceID:        rec.get(colReferenceID),
	}
	switch {
	case row.CustomerID == "" && row.CustomerDomainName == "":
		return row, rec.rowErr(colCustomerID, fmt.Errorf("%w: neither %s nor %s is given", ErrMissingValue, colCustomerID, colCustomerDomain))
	case row.OrderID == "" && row.SubscriptionID == "":
		return row, rec.rowErr(colOrderID, fmt.Errorf("%w: neither %s nor %s is given", ErrMissingValue, colOrderID, colSubscriptionID))
	case row.ProductID == "" && row.SKUID == "":
		return row, rec.rowErr(colProductID, fmt.Errorf("%w: neither %s nor %s is given", ErrMissingValue, colProductID, colSKUID))
	case row.ChargeType == "":
		return row, rec.rowErr(colChargeType, ErrMissingValue)
	}
	var err error
	if row.Currency, err = invoice.LookupCurrency(strings.ToUpper(rec.get(colCurrency))); err != nil {
		return row, rec.rowErr(colCurrency, err)
	}
	if row.ChargeStart, err = ParseDate(rec.get(colChargeStart)); err != nil {
		return row, rec.rowErr(colChargeStart, err)
	}
	if v := rec.get(colChargeEnd); v != "" {
		if row.ChargeEnd, err = ParseDate(v); err != nil {
			return row, rec.rowErr(colChargeEnd, err)
		}
	}
	qcol := colQuantity
	if rec.get(colQuantity) == "" && rec.has(colBillableQty) {
		qcol = colBillableQty
	}
	if row.Quantity, err = parseQuantity(rec.get(qcol)); err != nil {
		return row, rec.rowErr(qcol, err)
	}
	for _, a := range []struct {
		col      string
		dst      *decimal.Decimal
		optional bool
	}{
		{colSubtotal, &row.Subtotal, false},
		{colTotal, &row.Total, false},
		{colTaxTotal, &row.TaxTotal, true},
		{colEffectivePrice, &row.EffectiveUnitPrice, true},
	} {
		v := rec.get(a.col)
		if v == "" && a.optional {
			continue
		}
		if v == "" {
			return row, rec.rowErr(a.col, ErrMissingValue)
		}
		if *a.dst, err = invoice.ParseDecimal(v); err != nil {
			return row, rec.rowErr(a.col, err)
		}
	}
	row.HasTax = rec.get(colTaxTotal) != ""
	return row, nil
}

func parseQuantity(s string) (decimal.Decimal, error) {
	if s == "" {
		return decimal.Decimal{}, ErrMissingValue
	}
	d, err := invoice.ParseDecimal(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%w: %q", ErrBadQuantity, s)
	}
	return d.Abs(), nil
}

// ParseDate reads a date as Partner Center files write them: YYYY-MM-DD; a
// timestamp (RFC 3339, whose UTC day counts, or without a zone, read as UTC,
// e.g. 2026-10-15T00:00:00); or M/D/YYYY, optionally followed by a time
// (10/15/2026 12:00:00 AM), as the US-locale export writes it.
func ParseDate(s string) (invoice.Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return invoice.NoDate, ErrMissingValue
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return invoice.DateOf(t), nil
	}
	for _, layout := range []string{
		"2006-01-02", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05",
		"1/2/2006", "1/2/2006 3:04:05 PM", "1/2/2006 3:04 PM", "1/2/2006 15:04:05", "1/2/2006 15:04",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return invoice.DateOf(t), nil
		}
	}
	return invoice.NoDate, fmt.Errorf("%w: %q (want YYYY-MM-DD, an ISO timestamp or M/D/YYYY)", invoice.ErrBadDate, s)
}
