package jobs

import (
	"fmt"

	// A drop-in for encoding/json, about three times faster at decoding
	// the stored records, which post and close do for every order line.
	json "github.com/goccy/go-json"

	"cspbill/invoice"
	"cspbill/jobs/csvin"
	"cspbill/ledger"
)

// stored is what a source record's raw column holds: the row's contract
// columns as read, and, for an accepted order, cancellation or renewal, the
// typed record as the rules resolved it (V4's term, for one), so later runs
// replay it without judging it again against reference data that has grown.
type stored struct {
	Row    map[string]string `json:"row"`
	Record json.RawMessage   `json:"record,omitempty"`
}

func rowMap(r csvin.Record) map[string]string {
	cols, vals := r.Columns(), r.Values()
	m := make(map[string]string, len(cols))
	for i, c := range cols {
		m[c] = vals[i]
	}
	return m
}

func encodeRaw(r csvin.Record, record any) (string, error) {
	s := stored{Row: rowMap(r)}
	if record != nil {
		b, err := json.Marshal(record)
		if err != nil {
			return "", err
		}
		s.Record = b
	}
	b, err := json.Marshal(s)
	return string(b), err
}

// storedRecord is the typed record of stored alone: the rules need only
// it, and building the row's map was most of the decoding's cost.
type storedRecord struct {
	Record json.RawMessage `json:"record,omitempty"`
}

func decodeRecord(rec ledger.SourceRecord, into any) error {
	var s storedRecord
	if err := json.Unmarshal([]byte(rec.Raw), &s); err != nil {
		return fmt.Errorf("source record %d (%s:%d): %w", rec.ID, rec.File, rec.Line, err)
	}
	if into == nil {
		return nil
	}
	if len(s.Record) == 0 {
		return fmt.Errorf("source record %d (%s:%d) has no typed record", rec.ID, rec.File, rec.Line)
	}
	if err := json.Unmarshal(s.Record, into); err != nil {
		return fmt.Errorf("source record %d (%s:%d): %w", rec.ID, rec.File, rec.Line, err)
	}
	return nil
}

// decodeRenewal is a stored renewals record with its source. A record
// stored before the ninth session has no instant (At): it is read from
// its row's effective_at, so records of one day are ordered by time
// whichever version stored them.
func decodeRenewal(rec ledger.SourceRecord) (invoice.Renewal, error) {
	var n invoice.Renewal
	if err := decodeRecord(rec, &n); err != nil {
		return n, err
	}
	n.Src = srcOf(rec)
	if n.At.IsZero() {
		row, err := decodeRow(rec)
		if err != nil {
			return n, err
		}
		if n.At, err = invoice.ParseInstant(row["effective_at"]); err != nil {
			return n, fmt.Errorf("source record %d (%s:%d): %w", rec.ID, rec.File, rec.Line, err)
		}
	}
	return n, nil
}

func decodeRow(rec ledger.SourceRecord) (map[string]string, error) {
	var s stored
	if err := json.Unmarshal([]byte(rec.Raw), &s); err != nil {
		return nil, fmt.Errorf("source record %d (%s:%d): %w", rec.ID, rec.File, rec.Line, err)
	}
	return s.Row, nil
}

func srcOf(rec ledger.SourceRecord) invoice.Source {
	return invoice.Source{ID: rec.ID, File: rec.File, Line: int(rec.Line)}
}

// Raw rows of the rules from the reader's rows: both list the contract
// columns in contract order.
func rawCustomer(r *csvin.CustomerRow) invoice.RawCustomer {
	return invoice.RawCustomer{CustomerID: r.CustomerID, Name: r.Name, Domain: r.Domain, Country: r.Country, Currency: r.Currency}
}

func rawCatalog(r *csvin.CatalogRow) invoice.RawCatalog {
	return invoice.RawCatalog{SKU: r.SKUID, ProductName: r.ProductName, Kind: r.Kind, Publisher: r.Publisher, Term: r.Term,
		BillingPlans: r.BillingPlans, Currency: r.Currency, UnitPrice: r.UnitPrice, EffectiveFrom: r.EffectiveFrom, EffectiveTo: r.EffectiveTo}
}

func rawTax(r *csvin.TaxRow) invoice.RawTax { return invoice.RawTax{Country: r.Country, Rate: r.Rate} }

func rawOrder(r *csvin.OrderRow) invoice.RawOrder {
	return invoice.RawOrder{OrderID: r.OrderID, LineNo: r.LineNo, CustomerID: r.CustomerID, OrderDate: r.OrderDate, SKU: r.SKUID,
		Term: r.Term, BillingPlan: r.BillingPlan, Quantity: r.Quantity, SubscriptionID: r.SubscriptionID, AutoRenew: r.AutoRenew}
}

func rawCancellation(r *csvin.CancellationRow) invoice.RawCancellation {
	return invoice.RawCancellation{OrderID: r.OrderID, LineNo: r.LineNo, CancelledAt: r.CancelledAt, RequestedBy: r.RequestedBy, Role: r.Role, Reason: r.Reason}
}

func rawRenewal(r *csvin.RenewalRow) invoice.RawRenewal {
	return invoice.RawRenewal{SubscriptionID: r.SubscriptionID, Action: r.Action, EffectiveAt: r.EffectiveAt, RequestedBy: r.RequestedBy,
		Role: r.Role, Term: r.Term, BillingPlan: r.BillingPlan, Quantity: r.Quantity}
}

// replayReference adds an accepted reference row (customers, catalog, taxes)
// to the book again.
func replayReference(b *invoice.Book, rec ledger.SourceRecord) error {
	row, err := decodeRow(rec)
	if err != nil {
		return err
	}
	var rej *invoice.Reject
	switch rec.Kind {
	case csvin.KindCustomers:
		_, rej = b.AddCustomer(invoice.RawCustomer{CustomerID: row["customer_id"], Name: row["name"], Domain: row["domain"],
			Country: row["country"], Currency: row["currency"]}, srcOf(rec))
	case csvin.KindCatalog:
		_, rej = b.AddPrice(invoice.RawCatalog{SKU: row["sku_id"], ProductName: row["product_name"], Kind: row["kind"],
			Publisher: row["publisher"], Term: row["term"], BillingPlans: row["billing_plans"], Currency: row["currency"],
			UnitPrice: row["unit_price"], EffectiveFrom: row["effective_from"], EffectiveTo: row["effective_to"]}, srcOf(rec))
	case csvin.KindTaxes:
		_, rej = b.AddTax(invoice.RawTax{Country: row["country"], Rate: row["rate"]}, srcOf(rec))
	}
	if rej != nil {
		return fmt.Errorf("replaying accepted %s row %s:%d: %v", rec.Kind, rec.File, rec.Line, rej)
	}
	return nil
}
