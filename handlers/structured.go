package handlers

import (
	"strconv"
	"strings"
	"time"

	"dynamicmotion/db"
)

// JSON-LD for search engines (schema.org), written into the page by the
// layout. Example details are left out: search engines must not learn a
// phone number or address that is not the practice's own.

func publisher(b db.Business, site string) map[string]any {
	return map[string]any{"@type": "Organization", "name": b.Name, "url": site + "/"}
}

// localBusiness describes the practice for the home page.
func localBusiness(b db.Business, site string) map[string]any {
	addr := map[string]any{
		"@type":           "PostalAddress",
		"addressLocality": b.Locality,
		"addressRegion":   b.Region,
		"addressCountry":  "GB",
	}
	lb := map[string]any{
		"@context":    "https://schema.org",
		"@type":       "HealthAndBeautyBusiness",
		"name":        b.Name,
		"description": b.Intro,
		"url":         site + "/",
		"address":     addr,
		"areaServed":  b.Locality + ", " + b.Region,
		"knowsAbout":  []string{"Sports massage", "Deep tissue massage", "Myofascial release"},
	}
	if !b.IsExample {
		if b.StreetAddress != "" {
			addr["streetAddress"] = b.StreetAddress
		}
		if b.Postcode != "" {
			addr["postalCode"] = b.Postcode
		}
		if b.Phone != "" {
			lb["telephone"] = b.Phone
		}
		if b.Email != "" {
			lb["email"] = b.Email
		}
	}
	return lb
}

// articleAuthor is the article's byline for search engines: a person, who
// works for the practice, when the byline is a name ("Clare Smith"); the
// practice itself when it is empty or a handle ("dynamicmotionsports", as
// the articles brought over from the old blog are signed).
func articleAuthor(byline string, b db.Business, site string) map[string]any {
	byline = strings.TrimSpace(byline)
	if !strings.Contains(byline, " ") {
		org := map[string]any{"@type": "Organization", "name": b.Name, "url": site + "/about"}
		if byline != "" {
			org["alternateName"] = byline
		}
		return org
	}
	return map[string]any{"@type": "Person", "name": byline, "url": site + "/about",
		"worksFor": map[string]any{"@type": "Organization", "name": b.Name, "url": site + "/"}}
}

// blogPosting describes an article; description is the page's.
func blogPosting(p db.Post, description string, comments int, b db.Business, pageURL, site string) map[string]any {
	return map[string]any{
		"@context":         "https://schema.org",
		"@type":            "BlogPosting",
		"headline":         p.Title,
		"description":      description,
		"url":              pageURL,
		"mainEntityOfPage": pageURL,
		"datePublished":    p.Published().UTC().Format(time.RFC3339),
		"dateModified":     p.Modified().UTC().Format(time.RFC3339),
		"author":           articleAuthor(p.Author, b, site),
		"publisher":        publisher(b, site),
		"keywords":         p.Tags,
		"timeRequired":     "PT" + strconv.Itoa(p.ReadingMinutes) + "M",
		"inLanguage":       "en-GB",
		"commentCount":     comments,
	}
}
