package invoice

// unavailableMarkets lists the markets where Azure reservations are not
// available (the seed document's table), as ISO 3166-1 alpha-2 codes with the
// seed's names beside them. Several names share one code: Bonaire, Saba and
// Sint Eustatius are BQ; Svalbard and Jan Mayen are SJ. Swaziland is today's
// Eswatini (SZ), Kosovo has the user-assigned XK, "Congo" is the Republic of the
// Congo (CG) and "Congo (DRC)" is CD, "Micronesia" is the Federated States (FM),
// "U.S. Outlying Islands" is UM and "Vatican City" is VA. V5 rejects a
// reservation for a customer whose country is listed here.
var unavailableMarkets = map[string]string{
	"AX": "Aland Islands",
	"AS": "American Samoa",
	"AD": "Andorra",
	"AI": "Anguilla",
	"AQ": "Antarctica",
	"AG": "Antigua and Barbuda",
	"AW": "Aruba",
	"AZ": "Azerbaijan",
	"BJ": "Benin",
	"BT": "Bhutan",
	"BQ": "Bonaire; Saba; Sint Eustatius",
	"BV": "Bouvet Island",
	"IO": "British Indian Ocean Territory",
	"VG": "British Virgin Islands",
	"BF": "Burkina Faso",
	"BI": "Burundi",
	"KH": "Cambodia",
	"CF": "Central African Republic",
	"TD": "Chad",
	"CN": "China",
	"CX": "Christmas Island",
	"CC": "Cocos (Keeling) Islands",
	"KM": "Comoros",
	"CG": "Congo",
	"CD": "Congo (DRC)",
	"CK": "Cook Islands",
	"DJ": "Djibouti",
	"DM": "Dominica",
	"GQ": "Equatorial Guinea",
	"ER": "Eritrea",
	"FK": "Falkland Islands",
	"GF": "French Guiana",
	"PF": "French Polynesia",
	"TF": "French Southern Territories",
	"GA": "Gabon",
	"GM": "Gambia",
	"GI": "Gibraltar",
	"GL": "Greenland",
	"GD": "Grenada",
	"GP": "Guadeloupe",
	"GU": "Guam",
	"GG": "Guernsey",
	"GN": "Guinea",
	"GW": "Guinea-Bissau",
	"GY": "Guyana",
	"HT": "Haiti",
	"HM": "Heard Island and McDonald Islands",
	"IM": "Isle of Man",
	"SJ": "Svalbard; Jan Mayen",
	"JE": "Jersey",
	"KI": "Kiribati",
	"XK": "Kosovo",
	"LA": "Laos",
	"LS": "Lesotho",
	"LR": "Liberia",
	"MG": "Madagascar",
	"MW": "Malawi",
	"MV": "Maldives",
	"ML": "Mali",
	"MH": "Marshall Islands",
	"MQ": "Martinique",
	"MR": "Mauritania",
	"YT": "Mayotte",
	"FM": "Micronesia",
	"MS": "Montserrat",
	"MZ": "Mozambique",
	"MM": "Myanmar",
	"NR": "Nauru",
	"NC": "New Caledonia",
	"NE": "Niger",
	"NU": "Niue",
	"NF": "Norfolk Island",
	"MP": "Northern Mariana Islands",
	"PW": "Palau",
	"PG": "Papua New Guinea",
	"PN": "Pitcairn Islands",
	"RE": "Reunion",
	"BL": "Saint Barthélemy",
	"LC": "Saint Lucia",
	"MF": "Saint Martin",
	"PM": "Saint Pierre and Miquelon",
	"VC": "Saint Vincent and the Grenadines",
	"WS": "Samoa",
	"SM": "San Marino",
	"ST": "São Tomé and Príncipe",
	"SC": "Seychelles",
	"SL": "Sierra Leone",
	"SX": "Sint Maarten",
	"SB": "Solomon Islands",
	"SO": "Somalia",
	"GS": "South Georgia and South Sandwich Islands",
	"SS": "South Sudan",
	"SH": "St Helena, Ascension, Tristan da Cunha",
	"SR": "Suriname",
	"SZ": "Swaziland",
	"TL": "Timor-Leste",
	"TG": "Togo",
	"TK": "Tokelau",
	"TO": "Tonga",
	"TC": "Turks and Caicos Islands",
	"TV": "Tuvalu",
	"UM": "U.S. Outlying Islands",
	"VU": "Vanuatu",
	"VA": "Vatican City",
	"WF": "Wallis and Futuna",
	"YE": "Yemen",
}

// ReservationUnavailable reports whether Azure reservations cannot be sold to a
// customer in the country, and the seed's name for that market.
func ReservationUnavailable(country string) (name string, unavailable bool) {
	name, unavailable = unavailableMarkets[country]
	return name, unavailable
}

// countryCodes holds every officially assigned ISO 3166-1 alpha-2 code, plus
// XK (Kosovo), which SPEC §1 admits.
const countryCodes = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
	"UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK"

var countries = func() map[string]bool {
	m := make(map[string]bool, 260)
	for i := 0; i+2 <= len(countryCodes); i += 3 {
		m[countryCodes[i:i+2]] = true
	}
	return m
}()

// KnownCountry reports whether code is an ISO 3166-1 alpha-2 code (or XK).
func KnownCountry(code string) bool { return countries[code] }
