package db

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
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

// ListServices returns every service, active or not, in display order: the
// therapist's list.
func ListServices(ctx context.Context, idb bun.IDB) ([]Service, error) {
	var ss []Service
	err := idb.NewSelect().Model(&ss).OrderExpr("sort_order, id").Scan(ctx)
	return ss, err
}

// ServiceByID returns one service, active or not, or sql.ErrNoRows.
func ServiceByID(ctx context.Context, idb bun.IDB, id int64) (Service, error) {
	var s Service
	err := idb.NewSelect().Model(&s).Where("id = ?", id).Scan(ctx)
	return s, err
}

// CreateService adds s at the end of the list, with a slug made from its
// name that no other service has, and sets s.ID, s.Slug and s.SortOrder.
func CreateService(ctx context.Context, idb bun.IDB, s *Service) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewRaw("LOCK TABLE services IN SHARE ROW EXCLUSIVE MODE").Exec(ctx); err != nil {
			return err
		}
		var slugs []string
		if err := tx.NewRaw("SELECT slug FROM services").Scan(ctx, &slugs); err != nil {
			return err
		}
		s.Slug = uniqueSlug(serviceSlug(s.Name), slugs)
		if err := tx.NewRaw("SELECT coalesce(max(sort_order), 0) + 1 FROM services").Scan(ctx, &s.SortOrder); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(s).ExcludeColumn("id", "created_at", "updated_at").
			Returning("id, created_at, updated_at").Exec(ctx)
		return err
	})
}

// uniqueSlug is base, or base-2, base-3… whichever is not taken.
func uniqueSlug(base string, taken []string) string {
	if base == "" {
		base = "service"
	}
	slug := base
	for n := 2; slices.Contains(taken, slug); n++ {
		slug = fmt.Sprintf("%s-%d", base, n)
	}
	return slug
}

// UpdateService saves what the therapist edits of service s.ID: name,
// summary, duration, price, places and whether it is offered. The slug and
// the order stay; a service she has edited is no longer an example.
// Bookings keep the name, duration and price they were made with.
func UpdateService(ctx context.Context, idb bun.IDB, s Service) error {
	res, err := idb.NewUpdate().Model(&s).
		Column("name", "summary", "duration_min", "price_pence", "at_studio", "mobile", "active").
		Set("is_example = false, updated_at = now()").
		WherePK().Exec(ctx)
	return oneRow(res, err)
}

// SetServiceActive offers service id to clients again, or stops offering it
// (its bookings stay as they are).
func SetServiceActive(ctx context.Context, idb bun.IDB, id int64, active bool) error {
	res, err := idb.NewRaw("UPDATE services SET active = ?, updated_at = now() WHERE id = ?", active, id).Exec(ctx)
	return oneRow(res, err)
}

// MoveService swaps service id with its neighbour in the list: up (earlier)
// or down (later). Moving the first service up or the last down changes
// nothing. The list is renumbered 1, 2, 3… on the way, so equal sort orders
// (as in hand-made data) cannot make a move a no-op.
func MoveService(ctx context.Context, idb bun.IDB, id int64, up bool) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var ids []int64
		if err := tx.NewRaw("SELECT id FROM services ORDER BY sort_order, id FOR UPDATE").Scan(ctx, &ids); err != nil {
			return err
		}
		i := slices.Index(ids, id)
		if i < 0 {
			return sql.ErrNoRows
		}
		j := i + 1
		if up {
			j = i - 1
		}
		if j >= 0 && j < len(ids) {
			ids[i], ids[j] = ids[j], ids[i]
		}
		_, err := tx.NewRaw(`UPDATE services SET sort_order = o.n
			FROM unnest(?::bigint[]) WITH ORDINALITY AS o(id, n)
			WHERE services.id = o.id AND services.sort_order <> o.n`, pgdialect.Array(ids)).Exec(ctx)
		return err
	})
}

// oneRow turns an update that matched nothing into sql.ErrNoRows.
func oneRow(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// serviceSlug makes a name into the lowercase, hyphenated ASCII form the
// services table accepts: "Sports massage — 60 min" → "sports-massage-60-min".
func serviceSlug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	s := b.String()
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
	}
	return s
}
