package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"

	"dynamicmotion/cache"
	"dynamicmotion/db"
)

// servicesData is what the services page shows.
type servicesData struct {
	Services []db.Service
}

// homeData is what the home page shows.
type homeData struct {
	Services []db.Service
	Latest   []db.Post
}

// latestOnHome is how many articles the home page lists.
const latestOnHome = 3

// facts are what the public pages show that changes rarely, each read at
// most every cache.TTL; an edit on this instance drops its copy at once.
type facts struct {
	business *cache.Value[db.Business]
	services *cache.Value[[]db.Service]
	latest   *cache.Value[[]db.Post]     // the home page's newest articles
	blog     *cache.Value[db.PostPage]   // /blog's first page, untagged
	tags     *cache.Value[[]db.TagCount] // the topics list on /blog
}

func newFacts(bdb *bun.DB) facts {
	return facts{
		business: cache.New(cache.TTL, func(ctx context.Context) (db.Business, error) { return db.GetBusiness(ctx, bdb) }),
		services: cache.New(cache.TTL, func(ctx context.Context) ([]db.Service, error) { return db.ListActiveServices(ctx, bdb) }),
		latest:   cache.New(cache.TTL, func(ctx context.Context) ([]db.Post, error) { return db.LatestPosts(ctx, bdb, latestOnHome) }),
		blog:     cache.New(cache.TTL, func(ctx context.Context) (db.PostPage, error) { return db.ListPosts(ctx, bdb, "", 1, postsPerPage) }),
		tags:     cache.New(cache.TTL, func(ctx context.Context) ([]db.TagCount, error) { return db.PublicTags(ctx, bdb) }),
	}
}

// drop forgets every fact: the next page reads them again.
func (f facts) drop() {
	f.business.Drop()
	f.services.Drop()
	f.latest.Drop()
	f.blog.Drop()
	f.tags.Drop()
}

// business is the practice's details (cached for cache.TTL).
func (h *Handler) business(c echo.Context) (db.Business, error) {
	return h.facts.business.Get(c.Request().Context())
}

// activeServices is what clients can book (cached for cache.TTL).
func (h *Handler) activeServices(c echo.Context) ([]db.Service, error) {
	return h.facts.services.Get(c.Request().Context())
}

// showHome is the front page: who, what, where, and the way to book.
func (h *Handler) showHome(c echo.Context) error {
	services, err := h.activeServices(c)
	if err != nil {
		return err
	}
	latest, err := h.facts.latest.Get(c.Request().Context())
	if err != nil {
		return err
	}
	p, err := h.page(c, "", "", homeData{Services: services, Latest: latest})
	if err != nil {
		return err
	}
	p.Title = p.Business.Tagline
	p.Description = p.Business.Intro
	p.JSONLD = localBusiness(p.Business, h.cfg.BaseURL.String())
	return h.render(c, http.StatusOK, "home", "", p)
}

func (h *Handler) showServices(c echo.Context) error {
	services, err := h.activeServices(c)
	if err != nil {
		return err
	}
	p, err := h.page(c, "Services and prices",
		"Sports massage sessions and prices, at the studio in St Ives or as a mobile visit.", servicesData{services})
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "services", "", p)
}

func (h *Handler) showAbout(c echo.Context) error {
	return h.simplePage(c, "about", "About", "Who we are and how a sports massage session works.")
}

func (h *Handler) showPrivacy(c echo.Context) error {
	return h.simplePage(c, "privacy", "Privacy", "What personal information this site collects and why.")
}

func (h *Handler) simplePage(c echo.Context, name, title, description string) error {
	p, err := h.page(c, title, description, nil)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, name, "", p)
}

// serveAsset serves an embedded file by its hashed URL; an unknown one gets
// the site's 404 page.
func (h *Handler) serveAsset(c echo.Context) error {
	if !h.assets.Has(c.Request().URL.Path) {
		return echo.ErrNotFound
	}
	h.assets.ServeHTTP(c.Response(), c.Request())
	return nil
}

// favicon serves the SVG icon to browsers that ask for /favicon.ico.
func (h *Handler) favicon(c echo.Context) error {
	return c.Redirect(http.StatusMovedPermanently, h.assets.URL("img/favicon.svg"))
}
