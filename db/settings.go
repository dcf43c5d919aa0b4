package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Business is the practice's public facts: who, where, how to reach it.
type Business struct {
	bun.BaseModel `bun:"table:business_settings"`

	ID            int16     `bun:"id,pk"`
	Name          string    `bun:"name"`
	Tagline       string    `bun:"tagline"`
	TherapistName string    `bun:"therapist_name"`
	Intro         string    `bun:"intro"`
	About         string    `bun:"about"`
	Phone         string    `bun:"phone"`
	Email         string    `bun:"email"`
	StreetAddress string    `bun:"street_address"`
	Locality      string    `bun:"locality"`
	Region        string    `bun:"region"`
	Postcode      string    `bun:"postcode"`
	MobileArea    string    `bun:"mobile_area"`
	HoursSummary  string    `bun:"hours_summary"`
	IsExample     bool      `bun:"is_example"`
	UpdatedAt     time.Time `bun:"updated_at,nullzero,default:now()"`
}

// GetBusiness returns the practice's settings row.
func GetBusiness(ctx context.Context, idb bun.IDB) (Business, error) {
	var b Business
	err := idb.NewSelect().Model(&b).Where("id = 1").Scan(ctx)
	return b, err
}
