package handlers

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"dynamicmotion/db"
	"dynamicmotion/views"
)

// The diary's grid: days across, the working hours down in quarter hours.
// The CSP allows no style attributes, so nothing is positioned by numbers
// in the markup: each day is a column of cells in time order, and a cell
// is as tall as the quarter hours it holds (one empty spacer per quarter,
// sized by the stylesheet).

// gridQuarter is the height of one row of the grid.
const gridQuarter = 15 // minutes

// gridCell is one stretch of a day's column.
type gridCell struct {
	Kind    string     // "free" (a link to book it), "gap" (a free quarter hour), "closed" (outside hours), "past", "booking", "hold", "travel", "buffer", "off"
	Rows    []struct{} // one per quarter hour: the cell's height
	Start   time.Time
	End     time.Time
	Label   string // what it says: the time off's note, "Travel 30 min"
	Href    string
	Place   string
	Booking *db.Booking
	Also    []string // what lies under it too (time off under a booking)
	// Its words are cut to the lines that fit (Lines: one a quarter hour,
	// less the line Also takes), ending with an ellipsis (line-clamp in the
	// stylesheet, classes l1 … l12); Title is all of them, for the tooltip.
	// A screen reader reads the words whole either way.
	Lines int
	Title string
}

// maxLines is the most lines a cell's words are clamped to (three hours):
// a longer cell has room for all of them.
const maxLines = 12

// label sets the cell's Lines and Title.
func (c *gridCell) label() {
	c.Lines = min(max(len(c.Rows)-min(len(c.Also), 1), 1), maxLines)
	switch c.Kind {
	case "booking":
		b := c.Booking
		c.Title = hhmm(b.StartsAt) + "–" + hhmm(b.EndsAt) + " " + b.ClientName
		if b.Status != db.BookingConfirmed {
			c.Title += " (" + views.BookingStatus(b.Status) + ")"
		}
		c.Title += ", " + b.ServiceName + ", " + placeWords(b)
	case "hold":
		b := c.Booking
		c.Title = hhmm(b.StartsAt) + "–" + hhmm(b.EndsAt) + " held"
		if b.Offered {
			c.Title = hhmm(b.StartsAt) + "–" + hhmm(b.EndsAt) + " offered to someone on the waiting list"
		}
		if b.HoldExpiresAt != nil {
			c.Title += " until " + hhmm(*b.HoldExpiresAt)
		}
		c.Title += ", " + b.ServiceName + ", " + placeWords(b)
	case "off":
		c.Title = hhmm(c.Start) + "–" + hhmm(c.End) + " Time off: " + c.Label
	default:
		c.Title = c.Label
	}
	if len(c.Also) > 0 {
		c.Title += ". Also " + strings.Join(c.Also, "; ")
	}
}

// placeWords is where an appointment is, as the diary says it.
func placeWords(b *db.Booking) string {
	if b.Place == db.PlaceMobile {
		return "mobile visit (" + b.Postcode + ")"
	}
	return "studio"
}

// gridDay is one column.
type gridDay struct {
	Date  string // 2026-12-08
	Label string // "Tuesday 8 December"
	Short string // "Tue 8"
	Today bool
	Cells []gridCell
}

// gridHour is one label of the hours column.
type gridHour struct {
	Label string
	Rows  []struct{}
}

// diaryGrid is a week (or a day) drawn as a grid.
type diaryGrid struct {
	Hours []gridHour
	Days  []gridDay
}

// gridEvent is something drawn in a day's column, in minutes of that day.
type gridEvent struct {
	from, to int
	order    int // at the same start: bookings before holds before time off
	cell     gridCell
}

// buildGrid draws days (London midnights) with the bookings (cancelled
// ones left out: their time is free), the holds live now and the time off.
// The hours shown run from the earliest working hour of the days to the
// latest, widened to whatever lies outside them, in whole hours; empty
// working time still to come is a link to book it.
func buildGrid(days []time.Time, bookings, holds []db.Booking, off []db.TimeOff, r bookingRules, now time.Time) diaryGrid {
	events := make([][]gridEvent, len(days))
	lo, hi := 24*60, 0
	for i, day := range days {
		for _, wh := range r.Hours {
			if wh.Weekday == day.Weekday() {
				lo, hi = min(lo, int(wh.From)), max(hi, int(wh.To))
			}
		}
		end := day.AddDate(0, 0, 1)
		add := func(from, to time.Time, order int, c gridCell) {
			if !from.Before(end) || !to.After(day) || !from.Before(to) {
				return
			}
			c.Start, c.End = from, to
			e := gridEvent{from: dayMinute(from, day), to: dayMinute(to, day), order: order, cell: c}
			lo, hi = min(lo, e.from), max(hi, e.to)
			events[i] = append(events[i], e)
		}
		for _, list := range [][]db.Booking{bookings, holds} {
			for j := range list {
				b := &list[j]
				if b.Status == db.BookingCancelled {
					continue
				}
				kind, order := "booking", 0
				if b.Status == db.BookingHeld {
					kind, order = "hold", 1
				}
				band := "buffer"
				if b.Place == db.PlaceMobile {
					band = "travel"
				}
				add(b.BlockedFrom, b.StartsAt, order, gridCell{Kind: band, Label: bandLabel(band, b.StartsAt.Sub(b.BlockedFrom))})
				add(b.StartsAt, b.EndsAt, order, gridCell{Kind: kind, Booking: b, Place: b.Place})
				add(b.EndsAt, b.BlockedTo, order, gridCell{Kind: band, Label: bandLabel(band, b.BlockedTo.Sub(b.EndsAt))})
			}
		}
		for _, t := range off {
			label := t.Note
			if label == "" {
				label = "Time off"
			}
			add(maxTime(t.StartsAt, day), minTime(t.EndsAt, end), 2, gridCell{Kind: "off", Label: label})
		}
	}
	if lo >= hi { // nothing at all: a usual day
		lo, hi = 9*60, 17*60
	}
	lo, hi = lo/60*60, min((hi+59)/60*60, 24*60)
	g := diaryGrid{}
	for m := lo; m < hi; m += 60 {
		g.Hours = append(g.Hours, gridHour{Label: fmt.Sprintf("%02d:00", m/60), Rows: make([]struct{}, 60/gridQuarter)})
	}
	today := startOfDay(now)
	for i, day := range days {
		col := gridDay{Date: day.Format(time.DateOnly), Label: day.Format("Monday 2 January"), Short: day.Format("Mon 2"), Today: day.Equal(today)}
		col.Cells = layDay(events[i], day, lo/gridQuarter, hi/gridQuarter, r, now)
		g.Days = append(g.Days, col)
	}
	return g
}

// layDay puts a day's events in time order between quarter lo and hi,
// filling the gaps with empty half hours. Something that starts under the
// one before it is drawn from where that one ends; something wholly under
// it is named in it (Also).
func layDay(events []gridEvent, day time.Time, lo, hi int, r bookingRules, now time.Time) []gridCell {
	slices.SortStableFunc(events, func(a, b gridEvent) int {
		return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.order, b.order))
	})
	var cells []gridCell
	cursor := lo
	for _, e := range events {
		from, to := max(e.from/gridQuarter, lo), min((e.to+gridQuarter-1)/gridQuarter, hi)
		if to <= cursor {
			if n := len(cells); n > 0 && e.cell.Kind != "travel" && e.cell.Kind != "buffer" {
				cells[n-1].Also = append(cells[n-1].Also, alsoLabel(e.cell))
			}
			continue
		}
		from = max(from, cursor)
		cells = append(cells, emptyCells(day, cursor, from, r, now)...)
		c := e.cell
		c.Rows = make([]struct{}, to-from)
		cells = append(cells, c)
		cursor = to
	}
	cells = append(cells, emptyCells(day, cursor, hi, r, now)...)
	for i := range cells {
		cells[i].label()
	}
	return cells
}

// emptyCells fills quarters [from, to) of day with cells ending on the
// half hours: free working time still to come is a link to a new booking
// of that time at the place whose hours it is in (the studio first).
func emptyCells(day time.Time, from, to int, r bookingRules, now time.Time) []gridCell {
	var cells []gridCell
	for a := from; a < to; {
		b := min((a/2+1)*2, to)
		minute := a * gridQuarter
		start := time.Date(day.Year(), day.Month(), day.Day(), minute/60, minute%60, 0, 0, views.London)
		c := gridCell{Kind: "closed", Rows: make([]struct{}, b-a), Start: start}
		if place := placeAt(r, day.Weekday(), minute); place != "" {
			c.Kind, c.Place = "past", place
			if start.After(now) && b-a < 2 {
				// A quarter hour alone (after a buffer) is too small a
				// target to tap: it is drawn, not linked.
				c.Kind = "gap"
			} else if start.After(now) {
				c.Kind = "free"
				c.Href = adminPath + "/bookings/new?date=" + day.Format(time.DateOnly) + "&time=" + start.Format("15:04") + "&place=" + place
			}
		}
		cells = append(cells, c)
		a = b
	}
	return cells
}

// placeAt is where the therapist works on weekday at minute of the day:
// the studio, a mobile visit, or "" outside her hours.
func placeAt(r bookingRules, weekday time.Weekday, minute int) string {
	found := ""
	for _, wh := range r.Hours {
		if wh.Weekday == weekday && int(wh.From) <= minute && minute < int(wh.To) {
			if wh.Place == db.PlaceStudio {
				return db.PlaceStudio
			}
			found = string(wh.Place)
		}
	}
	return found
}

// dayMinute is t as minutes after day's midnight (London wall clock),
// clamped to the day.
func dayMinute(t, day time.Time) int {
	switch {
	case !t.After(day):
		return 0
	case !t.Before(day.AddDate(0, 0, 1)):
		return 24 * 60
	}
	l := t.In(views.London)
	return l.Hour()*60 + l.Minute()
}

func bandLabel(kind string, d time.Duration) string {
	if kind == "travel" {
		return "Travel " + views.Minutes(int(d/time.Minute))
	}
	return "Buffer"
}

func alsoLabel(c gridCell) string {
	switch c.Kind {
	case "off":
		return "time off: " + c.Label
	case "hold", "booking":
		return c.Booking.ClientName + " " + c.Start.In(views.London).Format("15:04")
	}
	return c.Label
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
