// Package invoice holds the pure money rules of cspbill: exact amounts per
// currency, the catalog and other reference data, validation (SPEC V1–V7),
// charges and instalments (C1–C4), cancellations and credits (K1–K7),
// renewals (R1–R3), and the invoice lines a close writes. It imports no
// database code and is tested without one.
//
// # Money
//
// Posted amounts are int64 minor units of their currency (cents for USD,
// yen for JPY, fils for KWD). Catalog prices and tax rates are exact decimals
// (shopspring/decimal). Nothing is rounded before the last step, and Round is
// the one rounding function: half away from zero, to the currency's minor unit.
//
// # A worked example
//
// A US customer (tax 0.0725) orders 3 × "SQL Server 2022 Standard" on P1Y with
// the monthly plan at a catalog price of 1000.005 USD for the whole term:
//
//	line total  = 1000.005 × 3          = 3000.015 (exact, C1)
//	instalments = 12                                   (C2, monthly on P1Y)
//	0..10       = round(3000.015 ÷ 12)  = round(250.00125) = 250.00
//	11 (last)   = 3000.015 − 11 × 250.00 = 250.015 → posted round() = 250.02
//	sum posted  = 11 × 250.00 + 250.02  = 3000.02 = round(3000.015)
//	tax on each = round(250.00 × 0.0725) = round(18.125) = 18.13 (C4, exclusive)
//
// Cancelled on day 3 of the first 31-day instalment (K4):
//
//	unused = 29, days = 31
//	credit = round(250.00 × 29 ÷ 31) = round(233.870967…) = 233.87 → net −233.87
//	tax    = round(−233.87 × 0.0725) = round(−16.955575) = −16.96
package invoice
