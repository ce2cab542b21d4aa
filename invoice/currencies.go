package invoice

// currencyDigits lists the currencies the program accepts with their ISO 4217
// minor units (SPEC §1, C1). A code not listed here is unknown: a V1 reject.
// Codes are case-sensitive, upper case as the standard writes them.
//
// Source: ISO 4217 "List One: Current currency & funds code list" as kept by
// its maintenance agency (SIX Financial Information), list of 2024-06-25 with
// amendments 176 (XCG, 2025-03-31), 177 (ZWG replaces ZWL), 178 (CUC to List
// Three, 2025) and 180 (BGN to List Three, 2026-01-01). The digits are ISO's
// minor units, not what cash uses in practice (ISO gives HUF, IDR, TWD, KHR,
// LAK, MGA and MRU 2 digits; JPY, KRW, CLP, ISK, VND, PYG, UGX, VUV and the
// CFA/CFP francs XOF, XAF, XPF 0; BHD, IQD, JOD, KWD, LYD, OMR, TND 3).
//
// Decisions:
//   - Every circulating national or regional currency of List One is listed.
//   - ANG (Netherlands Antillean guilder, replaced by XCG on 2025-03-31, legal
//     tender until 2025-06-30) and BGN (Bulgarian lev, replaced by EUR on
//     2026-01-01) left List One during 2025-2026 but are kept, with XCG and
//     EUR, so that catalog and customer records of the changeover still
//     validate: both had 2 minor units and are not ambiguous.
//   - Codes withdrawn earlier are unknown: SLL (Sierra Leone, replaced by SLE
//     at 1000:1, off List One since 2024), ZWL (replaced by ZWG, expired
//     2024-08-31), CUC (Cuba, out of circulation since 2021, List Three since
//     2025), HRK (Croatia, EUR since 2023), VEF, MRO, STD and older codes.
//   - Fund codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW) are not
//     accepted: they are units of account for indexation or settlement, not
//     currencies a CSP partner bills or is billed in. Leaving them out also
//     keeps every accepted code at 0, 2 or 3 digits (CLF and UYW have 4).
//   - Codes without minor units are not currencies one can invoice in and are
//     unknown: precious metals (XAU, XAG, XPD, XPT), XDR, XSU, XUA, the bond
//     market units XBA-XBD, the testing code XTS and "no currency" XXX.
var currencyDigits = map[string]int32{
	"AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2, "AWG": 2, "AZN": 2,
	"BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BIF": 0, "BMD": 2, "BND": 2, "BOB": 2, "BRL": 2,
	"BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2, "CHF": 2, "CLP": 0, "CNY": 2,
	"COP": 2, "CRC": 2, "CUP": 2, "CVE": 2, "CZK": 2, "DJF": 0, "DKK": 2, "DOP": 2, "DZD": 2, "EGP": 2,
	"ERN": 2, "ETB": 2, "EUR": 2, "FJD": 2, "FKP": 2, "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2,
	"GNF": 0, "GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2, "HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2,
	"IQD": 3, "IRR": 2, "ISK": 0, "JMD": 2, "JOD": 3, "JPY": 0, "KES": 2, "KGS": 2, "KHR": 2, "KMF": 0,
	"KPW": 2, "KRW": 0, "KWD": 3, "KYD": 2, "KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2,
	"LYD": 3, "MAD": 2, "MDL": 2, "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2,
	"MVR": 2, "MWK": 2, "MXN": 2, "MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2, "NPR": 2,
	"NZD": 2, "OMR": 3, "PAB": 2, "PEN": 2, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "PYG": 0, "QAR": 2,
	"RON": 2, "RSD": 2, "RUB": 2, "RWF": 0, "SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2, "SGD": 2,
	"SHP": 2, "SLE": 2, "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2, "SVC": 2, "SYP": 2, "SZL": 2, "THB": 2,
	"TJS": 2, "TMT": 2, "TND": 3, "TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2, "TZS": 2, "UAH": 2, "UGX": 0,
	"USD": 2, "UYU": 2, "UZS": 2, "VED": 2, "VES": 2, "VND": 0, "VUV": 0, "WST": 2, "XAF": 0, "XCD": 2,
	"XCG": 2, "XOF": 0, "XPF": 0, "YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2,
}
