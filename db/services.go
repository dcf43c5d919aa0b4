package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Service is something a client can book.
type Service struct {
	bun.BaseModel `bun:"table:services"`

	ID          int64     `bun:"id,pk,autoincrement"`
	Slug        string    `bun:"slug"`
	Name        string    `bun:"name"`
	Summary     string    `bun:"summary"`
	DurationMin int       `bun:"duration_min"`
	PricePence  int       `bun:"price_pence"`
	AtStudio    bool      `bun:"at_studio"`
	Mobile      bool      `bun:"mobile"`
	Active      bool      `bun:"active"`
	SortOrder   int       `bun:"sort_order"`
	IsExample   bool      `bun:"is_example"`
	CreatedAt   time.Time `bun:"created_at,nullzero,default:now()"`
	UpdatedAt   time.Time `bun:"updated_at,nullzero,default:now()"`
}

// ListActiveServices returns the services clients can book, in display order.
func ListActiveServices(ctx context.Context, idb bun.IDB) ([]Service, error) {
	var ss []Service
	err := idb.NewSelect().Model(&ss).
		Where("active").
		OrderExpr("sort_order, id").
		Scan(ctx)
	return ss, err
}
