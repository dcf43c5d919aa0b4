package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// Business is the practice's public facts: who, where, how to reach it.
type Business struct {
	bun.BaseModel `bun:"table:business_settings"`

	ID            int16  `bun:"id,pk"`
	Name          string `bun:"name"`
	TherapistName string `bun:"therapist_name"` // her own name: the byline of articles (migration 0033)
	Tagline       string `bun:"tagline"`
	Intro         string `bun:"intro"`
	About         string `bun:"about"`
	Phone         string `bun:"phone"`
	Email         string `bun:"email"`
	StreetAddress string `bun:"street_address"`
	Locality      string `bun:"locality"`
	Region        string `bun:"region"`
	Postcode      string `bun:"postcode"`
	MobileArea    string `bun:"mobile_area"`
	HoursSummary  string `bun:"hours_summary"`
	IsExample     bool   `bun:"is_example"`
	// CommentModeration is how new comments are moderated: ModerationOff,
	// ModerationFirst or ModerationAll.
	CommentModeration string    `bun:"comment_moderation"`
	UpdatedAt         time.Time `bun:"updated_at,nullzero,default:now()"`
}

// KnownBusiness is what the practice's own article says about it and
// nothing more. The site shows it until details are saved (by the therapist,
// or by the demo seed), so a freshly migrated production database already
// serves every page without inventing a phone number or a price.
var KnownBusiness = Business{
	ID:      1,
	Name:    "Dynamic Motion Sports Therapy",
	Tagline: "Sports massage in St Ives, Cambridgeshire",
	Intro: "Deep tissue massage and myofascial release for lower back pain, injury recovery, " +
		"chronic pain, flexibility and general well-being.",
	About: "Dynamic Motion Sports Therapy is a sports massage practice in St Ives, Cambridgeshire, " +
		"with one therapist. Sessions take place at a home-based studio in St Ives, or as a mobile visit.\n\n" +
		"Treatment uses deep tissue massage and myofascial release, for lower back pain, injury recovery, " +
		"chronic pain, flexibility and general well-being.",
	Locality:          "St Ives",
	Region:            "Cambridgeshire",
	CommentModeration: ModerationOff,
}

// Comment moderation modes.
const (
	ModerationOff   = "off"   // comments appear at once
	ModerationFirst = "first" // a person's first comment waits for approval
	ModerationAll   = "all"   // every comment waits for approval
)

// GetBusiness returns the practice's details: the saved row, or
// KnownBusiness when none has been saved yet.
func GetBusiness(ctx context.Context, idb bun.IDB) (Business, error) {
	var b Business
	err := idb.NewSelect().Model(&b).Where("id = 1").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return KnownBusiness, nil
	}
	return b, err
}

// businessColumns are the details the therapist edits on the business page.
var businessColumns = []string{"name", "therapist_name", "tagline", "intro", "about", "phone", "email", "street_address",
	"locality", "region", "postcode", "mobile_area", "hours_summary"}

// SaveBusiness saves the practice's details as the therapist typed them:
// they are real now, so the example flag goes. The moderation mode (and
// any setting kept in the row but not in businessColumns) stays as it is.
func SaveBusiness(ctx context.Context, idb bun.IDB, b Business) error {
	b.ID, b.IsExample = 1, false
	if b.CommentModeration == "" {
		b.CommentModeration = ModerationOff
	}
	q := idb.NewInsert().Model(&b).ExcludeColumn("updated_at").On("CONFLICT (id) DO UPDATE")
	for _, col := range businessColumns {
		q = q.Set("? = EXCLUDED.?", bun.Ident(col), bun.Ident(col))
	}
	_, err := q.Set("is_example = false, updated_at = now()").Exec(ctx)
	return err
}

// ErrUnknownModeration is returned by SetCommentModeration for a mode that
// is not one of ModerationOff, ModerationFirst or ModerationAll.
var ErrUnknownModeration = errors.New("unknown comment moderation mode")

// SetCommentModeration sets how new comments are moderated.
func SetCommentModeration(ctx context.Context, idb bun.IDB, mode string) error {
	switch mode {
	case ModerationOff, ModerationFirst, ModerationAll:
	default:
		return ErrUnknownModeration
	}
	b := KnownBusiness
	b.CommentModeration = mode
	_, err := idb.NewInsert().Model(&b).ExcludeColumn("updated_at").
		On("CONFLICT (id) DO UPDATE").Set("comment_moderation = EXCLUDED.comment_moderation").Exec(ctx)
	return err
}
