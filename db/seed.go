package db

import (
	"context"

	"github.com/uptrace/bun"
)

// demoBusiness is KnownBusiness plus example contact details. Everything
// the practice's article does not say (phone, email, street, postcode, hours,
// mobile area) is example data: the row is marked is_example and the site
// labels it as such until the therapist saves her real details.
var demoBusiness = func() Business {
	b := KnownBusiness
	b.Phone = "01480 000000"
	b.Email = "hello@example.com"
	b.StreetAddress = "Example Road"
	b.Postcode = "PE27 0XX"
	b.MobileArea = "St Ives and villages nearby (PE26, PE27, PE28, PE29, CB24)"
	b.HoursSummary = "Monday to Saturday, 9:00 to 18:00"
	b.IsExample = true
	return b
}()

// demoServices are example treatments; prices and lengths are not the
// practice's real ones until the therapist edits them.
var demoServices = []Service{
	{Slug: "sports-massage-30", Name: "Sports massage — 30 minutes", DurationMin: 30, PricePence: 3000, SortOrder: 10,
		Summary: "A focused session on one area, such as the lower back or calves."},
	{Slug: "sports-massage-60", Name: "Sports massage — 60 minutes", DurationMin: 60, PricePence: 5000, SortOrder: 20,
		Summary: "Deep tissue work and myofascial release for the areas that need it most."},
	{Slug: "sports-massage-90", Name: "Sports massage — 90 minutes", DurationMin: 90, PricePence: 7000, SortOrder: 30,
		Summary: "A full session for recovery after an event, or several problem areas at once."},
}

// Seed loads the demo content. It only inserts what is missing, so running it
// twice changes nothing and it never overwrites what the therapist edited.
func Seed(ctx context.Context, idb bun.IDB) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		b := demoBusiness
		if _, err := tx.NewInsert().Model(&b).On("CONFLICT (id) DO NOTHING").Exec(ctx); err != nil {
			return err
		}
		for _, s := range demoServices {
			s.AtStudio, s.Mobile, s.Active, s.IsExample = true, true, true, true
			if _, err := tx.NewInsert().Model(&s).
				ExcludeColumn("id", "created_at", "updated_at").
				On("CONFLICT (slug) DO NOTHING").Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}
