package output

import (
	"strconv"

	"cspbill/invoice"
)

// Columns of the CSV files, in order (SPEC §4). The workbook's sheets use the
// same columns.
var (
	LineColumns = []string{
		"invoice_number", "customer_id", "currency", "charge_type", "order_id", "line_no",
		"subscription_id", "sku_id", "description", "charge_start", "charge_end",
		"quantity", "net", "tax", "gross", "source", "credited_invoice",
	}
	InvoiceColumns = []string{
		"invoice_number", "customer_id", "customer_name", "currency", "net", "tax", "gross", "lines",
	}
	RejectColumns = []string{"file", "line", "record_key", "rule", "message"}
)

// Text neutralises a text cell against CSV (formula) injection: a value that
// starts with '=', '+', '-', '@', a tab or a carriage return gets a leading
// single quote, so a spreadsheet opening the CSV shows it as text. It is
// applied to every column that holds text (names, descriptions, ids, messages)
// and never to a number this package formats itself (amounts, quantities,
// line numbers, dates), so a credit of "-12.50" stays a number.
func Text(s string) string {
	if s != "" && isTrigger(s[0]) {
		return "'" + s
	}
	return s
}

// isTrigger reports whether a text starting with c could be read as a formula.
func isTrigger(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// lineRecord is one row of invoice-lines.csv.
func lineRecord(l *invoice.Line) []string {
	c := l.Currency
	return []string{
		Text(l.InvoiceNumber), Text(l.CustomerID), Text(c.Code), Text(l.ChargeType),
		Text(l.OrderID), strconv.Itoa(l.LineNo), Text(l.SubscriptionID), Text(l.SKU),
		Text(l.Description), l.ChargeStart.String(), l.ChargeEnd.String(),
		strconv.FormatInt(l.Quantity, 10), c.Format(l.Net), c.Format(l.Tax), c.Format(l.Gross),
		Text(l.Source), Text(l.CreditedInvoice),
	}
}

// invoiceRecord is one row of invoices.csv.
func invoiceRecord(h *invoice.Header) []string {
	c := h.Currency
	return []string{
		Text(h.InvoiceNumber), Text(h.CustomerID), Text(h.CustomerName), Text(c.Code),
		c.Format(h.Net), c.Format(h.Tax), c.Format(h.Gross), strconv.Itoa(h.Lines),
	}
}

// rejectRecord is one row of rejects.csv; an unknown line (0) is left empty.
func rejectRecord(r *invoice.RejectRow) []string {
	line := ""
	if r.Line > 0 {
		line = strconv.Itoa(r.Line)
	}
	return []string{Text(r.File), line, Text(r.Key), Text(r.Rule), Text(r.Message)}
}
