// Package money writes prices, which the site keeps as integer pence, the
// way a British reader expects them. One owner, so that a page, an e-mail
// and an export never disagree about a price.
package money

import (
	"fmt"
	"strconv"
)

// Pounds is a price as shown: 3000 → "£30", 3550 → "£35.50", −500 → "−£5".
func Pounds(pence int) string {
	if pence < 0 {
		return "−" + Pounds(-pence)
	}
	return "£" + Plain(pence)
}

// Plain is a price without the sign, as a form field takes it: 4500 → "45",
// 4550 → "45.50".
func Plain(pence int) string {
	if pence%100 == 0 {
		return strconv.Itoa(pence / 100)
	}
	return Decimal(pence)
}

// Decimal is a price with two decimals, as a spreadsheet reads it: 4500 →
// "45.00".
func Decimal(pence int) string {
	if pence < 0 {
		return "-" + Decimal(-pence)
	}
	return fmt.Sprintf("%d.%02d", pence/100, pence%100)
}
