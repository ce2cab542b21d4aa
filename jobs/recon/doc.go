// Package recon reconciles a closed period with Partner Center's invoice
// reconciliation file (SPEC §7): `cspbill reconcile --period YYYY-MM --file
// RECON.csv [--map MAP.csv] --out DIR`.
//
// # The file
//
// ReadFile reads Partner Center's new-commerce invoice reconciliation CSV in
// the inbox dialect (UTF-8, optional BOM, header names matched
// case-insensitively, columns in any order, unknown columns ignored, values
// trimmed). Both spellings of the headers are accepted: the export's
// (CustomerId, Subtotal, Total, ChargeStartDate, …) and the API's camelCase
// (customerId, subTotal, totalForCustomer, chargeStartDate, …). It needs
// CustomerId, OrderId, SubscriptionId, ProductId, SkuId, ChargeType,
// ChargeStartDate, Subtotal, Total, Currency and Quantity or
// BillableQuantity, and reads CustomerDomainName, TaxTotal, ChargeEndDate,
// EffectiveUnitPrice and ReferenceId when present. Dates may be YYYY-MM-DD,
// an ISO timestamp (its UTC day) or M/D/YYYY with an optional time. Amounts
// stay exact decimals as Partner Center wrote them. The quantity is
// Quantity, or BillableQuantity where Quantity is empty; a refund is a row
// with negative amounts (Total, else Subtotal, else EffectiveUnitPrice) and
// a positive quantity. A row with a value that cannot be used is a
// *RowError (file:line, field, value); the other rows are kept.
//
// # Netting
//
// Rows sharing a ReferenceId (a wipe-and-recreate: the charge, its wipe and
// the charge made again) are summed into one row before matching, never
// deduplicated: amounts add up, quantities add up with a refund counting
// negative. Two identical rows without a shared ReferenceId are two charges.
// A group that nets to nothing, with nothing in the ledger, is a match.
//
// # Matching
//
// A row and a ledger invoice line of the period are the same charge when
// all of these agree:
//
//   - customer: the row's customer resolves to the line's customer_id (below);
//   - currency: the row's Currency is the line's currency;
//   - charge type: ChargeType equals charge_type, ignoring case and spaces
//     (cspbill uses Partner Center's names: new, cycleCharge, renew,
//     cancelImmediate);
//   - charge start: ChargeStartDate is the line's charge_start (for a credit,
//     the cancel date);
//   - order or subscription: when both sides have a subscription id,
//     SubscriptionId equals subscription_id (so a renewal under a new order
//     id still matches); otherwise (perpetual lines have no subscription in
//     cspbill) OrderId equals order_id;
//   - SKU: the row's SKU resolves to the line's sku_id (below).
//
// Ids are compared case-insensitively (Partner Center's GUIDs are). Each row
// pairs with at most one line and each line with at most one row; where
// several are candidates, pairs that agree within the tolerance are made
// first, then the rest in ledger and file order.
//
// # Mapping ids
//
// cspbill's customer ids, order and subscription ids and catalog sku_ids
// are its own; Partner Center's are tenant GUIDs, its order and subscription
// ids, and ProductId + SkuId. They are related as follows, first rule that
// applies:
//
//   - customer: the mapping file's `customer` row for CustomerId (or for
//     CustomerDomainName); else the customer whose customer_id equals
//     CustomerId; else the one customer whose `domain` equals
//     CustomerDomainName, ignoring case. No customer, or a domain shared by
//     two customers, leaves the row unmatched with a note saying so.
//   - SKU: the mapping file's `sku` row for "ProductId:SkuId", else for
//     ProductId — then only that sku_id matches; without one, a sku_id equal
//     to "ProductId:SkuId", to ProductId or to SkuId matches (a catalog that
//     uses Partner Center's ids needs no mapping).
//   - order and subscription: the mapping file's `order` / `subscription`
//     row, else the id as written (cspbill's orders carry Partner Center's
//     ids).
//
// The mapping file (--map, ReadMap) is CSV with the columns kind,
// partner_center_id, cspbill_id; kind is customer, sku, order or
// subscription. Mapping one Partner Center id to two cspbill ids is a row
// error.
//
// # Comparing a pair
//
// Partner Center truncates where cspbill rounds half away from zero, so a
// pair matches when the quantities are equal and the amounts differ by at
// most the tolerance times the line's quantity (Options.Tolerance, default
// one minor unit of the line's currency per unit: 12 units may differ by
// 0.12 USD or 12 JPY).
// The line's net is compared with Subtotal; its gross with Total only when
// the row carries a non-zero TaxTotal (Partner Center leaves TaxTotal 0 when
// tax is on the invoice only). A pair within the tolerance but not equal is
// matched with a note giving the delta.
//
// # Report
//
// Every line and every (netted) row ends in one Item of four kinds:
// matched, differs (quantity or an amount beyond the tolerance; both values
// and the delta are given), partner_center_only and ledger_only. Delta is
// Subtotal minus net (a missing side counts zero), so a customer's deltas
// add up to what Partner Center billed more than cspbill. HasDifferences is
// true when anything is not matched or a row of the file was rejected; the
// command then exits 3.
//
// Write puts under OUT/YYYY-MM/:
//
//	reconciliation.csv          one row per item: kind, customer_id, currency, charge_type,
//	                            order_id, subscription_id, sku_id, charge_start, invoice_number,
//	                            ledger_quantity, ledger_net, ledger_tax, ledger_gross,
//	                            partner_center_quantity, partner_center_subtotal,
//	                            partner_center_tax, partner_center_total, delta, delta_total,
//	                            ledger_source, partner_center_source (file:line, "f:5+7+9"
//	                            for a netted row), note
//	reconciliation-rejects.csv  file, line, field, value, message of the rows not read
//	reconciliation.xlsx         Summary (per customer and currency: counts per kind, ledger
//	                            net, Partner Center subtotal, net delta), Detail (the CSV's
//	                            rows), Rejects
//
// The files are written like a close's (invoice/output): hidden temporary
// files in the period folder, mode 0640, synced, then renamed over the final
// names once all three are complete; a close's files beside them are left
// alone. The workbook is an output.Workbook, written as the close writes
// its own; a sheet longer than Excel's 1,048,576 rows continues on "Detail
// 2", …. Amounts are exact decimals; the one conversion to float64 is at the
// excelize boundary, from the exact decimal text, refused beyond 15
// significant digits. Text starting with '=', '+', '-' or '@' gets a quote in
// the CSV files and is a string cell, never a formula, in the workbook.
//
// # Streaming
//
// Run reconciles in bounded memory (Match is Run over slices, held whole):
// rows are read with ScanFile, sorted by ReferenceId through run files to
// be netted, resolved, sorted by customer, and merged with the ledger's
// lines read customer by customer (ledger.InvoiceLinesByCustomer); each
// customer's items go to a Writer, which writes the CSV files as they come
// and spills the workbook's rows until Commit knows their counts. The items
// are those of the whole-month match, in the same order, whatever the run
// size (tested against it on random months).
//
// # Calling it
//
//	m, mapRejects, err := recon.ReadMap(mapName, mf) // with --map
//	w, err := recon.NewWriter(outDir, period)
//	defer w.Abort()
//	rep, err := recon.Run(ctx, recon.Input{Period: period, Customers: customers,
//		Options: recon.Options{Map: m}, TempDir: dir,
//		Rows:   func(emit func(recon.Row) error) error { return recon.ScanFile(name, f, emit, w.Reject) },
//		Ledger: lines}, w.Item)
//	// then w.Reject each of mapRejects, and
//	err = w.Commit(ctx) // exit 3 if rep.HasDifferences() or w.Rejected() > 0
//
// lines are the ledger's invoice lines of the closed period by customer
// (ledger.Line converted to LedgerLine: currency through
// invoice.LookupCurrency, dates through invoice.ParseDate), customers every
// customer's id and domain. Held whole, ReadFile, Match and Write do the
// same for a report in memory.
package recon
