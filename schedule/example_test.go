package schedule_test

import (
	"fmt"
	"time"

	"dynamicmotion/schedule"
)

func Example() {
	london, _ := time.LoadLocation("Europe/London")
	settings := schedule.Settings{
		Location: london,
		Step:     30 * time.Minute,
		Buffer:   15 * time.Minute,
		Travel:   30 * time.Minute,
		Notice:   12 * time.Hour,
		Horizon:  8 * 7 * 24 * time.Hour,
	}
	// The studio on Thursdays 09:00-15:00; a mobile visit already booked at 11:00 that Thursday.
	hours := []schedule.Hours{{Weekday: time.Thursday, Place: schedule.Studio, From: 9 * 60, To: 15 * 60}}
	visit := schedule.Blocked(time.Date(2026, 11, 26, 11, 0, 0, 0, london), time.Hour, schedule.Mobile, settings)

	r := schedule.Request{
		Settings: settings,
		Hours:    hours,
		Busy:     []schedule.Range{visit},
		Duration: time.Hour,
		Place:    schedule.Studio,
		Now:      time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		From:     time.Date(2026, 11, 23, 0, 0, 0, 0, london),
		To:       time.Date(2026, 11, 30, 0, 0, 0, 0, london),
	}
	fmt.Println("visit blocks", visit.Start.Format("15:04"), "to", visit.End.Format("15:04"))
	for _, t := range schedule.Slots(r) {
		fmt.Println(t.In(london).Format("Monday 2 January 2006, 15:04 MST"))
	}
	// 09:15 is off the 30-minute grid; 09:30 would end with its buffer after the visit's travel began.
	fmt.Println("09:15 fits:", schedule.Fits(r, time.Date(2026, 11, 26, 9, 15, 0, 0, london)))
	// Output:
	// visit blocks 10:30 to 12:45
	// Thursday 26 November 2026, 09:00 GMT
	// Thursday 26 November 2026, 13:00 GMT
	// Thursday 26 November 2026, 13:30 GMT
	// Thursday 26 November 2026, 14:00 GMT
	// 09:15 fits: false
}
