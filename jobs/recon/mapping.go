package recon

import (
	"fmt"
	"io"
	"strings"
)

// Kinds of id a mapping file translates.
const (
	MapCustomer     = "customer"     // Partner Center CustomerId (tenant GUID) or CustomerDomainName → customer_id
	MapSKU          = "sku"          // ProductId:SkuId, or ProductId → catalog sku_id
	MapOrder        = "order"        // OrderId → order_id
	MapSubscription = "subscription" // SubscriptionId → subscription_id
)

// Map translates Partner Center ids into cspbill's, per kind. Keys are
// Partner Center ids lower-cased (Partner Center's GUIDs and product ids are
// not case-sensitive); values are cspbill ids as they are. The zero Map maps
// nothing.
type Map struct {
	Customer     map[string]string
	SKU          map[string]string
	Order        map[string]string
	Subscription map[string]string
}

func (m *Map) table(kind string) *map[string]string {
	switch kind {
	case MapCustomer:
		return &m.Customer
	case MapSKU:
		return &m.SKU
	case MapOrder:
		return &m.Order
	case MapSubscription:
		return &m.Subscription
	}
	return nil
}

// Add records that Partner Center's id pc of kind is cspbill's id. Adding the
// same pair twice is harmless; mapping one Partner Center id to two cspbill
// ids is an error, as is an unknown kind or an empty id.
func (m *Map) Add(kind, pc, id string) error {
	t := m.table(kind)
	if t == nil {
		return fmt.Errorf("%w: kind %q (want %s, %s, %s or %s)", ErrBadMapping, kind, MapCustomer, MapSKU, MapOrder, MapSubscription)
	}
	if pc == "" || id == "" {
		return fmt.Errorf("%w: %s mapping needs both ids", ErrMissingValue, kind)
	}
	if *t == nil {
		*t = map[string]string{}
	}
	key := strings.ToLower(pc)
	if old, ok := (*t)[key]; ok && old != id {
		return fmt.Errorf("%w: %s %q is already mapped to %q", ErrBadMapping, kind, pc, old)
	}
	(*t)[key] = id
	return nil
}

func lookup(t map[string]string, pc string) (string, bool) {
	if pc == "" {
		return "", false
	}
	id, ok := t[strings.ToLower(pc)]
	return id, ok
}

var mapColumns = []column{
	{"kind", []string{"kind"}},
	{"partner_center_id", []string{"partner_center_id"}},
	{"cspbill_id", []string{"cspbill_id"}},
}

// ReadMap reads a mapping file (--map): CSV with the columns kind,
// partner_center_id, cspbill_id in the inbox dialect. kind is customer, sku,
// order or subscription. Bad rows are returned as row errors, the others
// are kept.
func ReadMap(name string, r io.Reader) (Map, []*RowError, error) {
	s, err := newScanner(name, r, mapColumns, []string{"kind", "partner_center_id", "cspbill_id"})
	if err != nil {
		return Map{}, nil, err
	}
	var m Map
	var rejects []*RowError
	for {
		rec, rerr, err := s.next()
		if err == io.EOF {
			return m, rejects, nil
		}
		if err != nil {
			return Map{}, nil, err
		}
		if rerr != nil {
			rejects = append(rejects, rerr)
			continue
		}
		kind := strings.ToLower(rec.get("kind"))
		if err := m.Add(kind, rec.get("partner_center_id"), rec.get("cspbill_id")); err != nil {
			col := "partner_center_id"
			if m.table(kind) == nil {
				col = "kind"
			}
			rejects = append(rejects, rec.rowErr(col, err))
		}
	}
}
