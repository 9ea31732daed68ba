package services_test

import (
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/rose-ash/sxhost/host"
)

var platformFiles = []string{"blog.sx", "market.sx", "cart.sx", "events.sx", "federation.sx", "account.sx"}

func loadAll(t *testing.T) *host.Platform {
	t.Helper()
	p, err := host.New(platformFiles, host.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestServicesReferenceIsCurrent fails when docs/services.md no longer
// matches the service files: run go generate ./host.
func TestServicesReferenceIsCurrent(t *testing.T) {
	got, err := os.ReadFile("../docs/services.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != loadAll(t).Reference() {
		t.Fatal("docs/services.md is stale: run go generate ./host")
	}
}

// TestPlatformDefinesTheProtocol checks the names other services and the
// platform's history depend on, and the size of the protocol.
func TestPlatformDefinesTheProtocol(t *testing.T) {
	p := loadAll(t)
	required := map[string]string{
		"post-by-id": "blog", "is-liked": "blog", "liked-slugs": "blog", "liked-ids": "blog", "toggle": "blog",
		"get-children": "blog", "attach-child": "blog", "detach-child": "blog", "ghost-sync": "blog",
		"push-member": "blog", "page-config-update": "blog",
		"marketplaces-by-ids":  "market",
		"clear-cart-for-order": "cart", "create-order": "cart",
		"user-by-email": "account", "newsletters": "account",
	}
	for name, svc := range required {
		s := p.Service(svc)
		if s == nil {
			t.Fatalf("service %s is not loaded", svc)
		}
		if s.Env().Definition("query", name) == nil && s.Env().Definition("action", name) == nil {
			t.Errorf("%s/%s is not defined", svc, name)
		}
	}
	total := 0
	for _, s := range p.Services() {
		for _, kind := range []string{"query", "action"} {
			for _, d := range s.Env().Definitions(kind) {
				total++
				if d.Doc == "" {
					t.Errorf("%s %s/%s has no docstring", kind, s.Name, d.Name)
				}
			}
		}
	}
	if total < 54 {
		t.Errorf("%d queries and actions in all, want at least 54", total)
	}
	for _, h := range []string{"order.created", "order.paid", "user.login"} {
		if p.Service("cart").Env().Definition("activity", h) == nil {
			t.Errorf("cart has no handler for %s", h)
		}
	}
}
