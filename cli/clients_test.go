package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rose-ash/sxhost/internal/pgtest"
)

// sxhost clients add, list and remove drive federation's registry: a
// confidential client's secret is printed once and stored only as a hash,
// a taken id is refused, remove revokes and deletes.
func TestClientsCommand(t *testing.T) {
	url, drop, err := pgtest.Create("sx_cli_clients")
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	t.Setenv("DATABASE_URL", url)
	t.Chdir("..") // services/federation.sx
	sx := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		st := SxhostMain(append([]string{"clients"}, args...), &out, &errb)
		return st, out.String(), errb.String()
	}
	st, out, errs := sx("add", "--id", "wiki", "--name", "Co-op wiki", "--redirect-uri", "https://wiki.example.org/cb",
		"--redirect-uri", "https://wiki.example.org/cb2", "--post-logout-uri", "https://wiki.example.org/", "--scopes", "openid email",
		"--frontchannel-logout-uri", "https://wiki.example.org/fc-logout", "--frontchannel-session-required")
	if st != 0 || !strings.Contains(out, "registered wiki (confidential)") || !strings.Contains(out, "client_secret: ") {
		t.Fatalf("add: %d %q %q", st, out, errs)
	}
	secret := strings.TrimSpace(strings.SplitN(strings.SplitN(out, "client_secret: ", 2)[1], "\n", 2)[0])
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var stored string
	var uris []string
	conn.QueryRow(context.Background(), "select secret_hash, redirect_uris from oauth_clients where client_id = 'wiki'").Scan(&stored, &uris)
	if stored == secret || len(stored) != 64 || len(uris) != 2 {
		t.Fatalf("stored %q (secret %q), uris %v", stored, secret, uris)
	}
	var fc string
	var fcSession bool
	conn.QueryRow(context.Background(), "select frontchannel_logout_uri, frontchannel_logout_session_required from oauth_clients where client_id = 'wiki'").Scan(&fc, &fcSession)
	if fc != "https://wiki.example.org/fc-logout" || !fcSession {
		t.Fatalf("front-channel logout %q %v", fc, fcSession)
	}
	if st, _, errs := sx("add", "--id", "fc", "--name", "FC", "--redirect-uri", "https://x.example/", "--frontchannel-logout-uri", "javascript:alert(1)"); st != 1 || !strings.Contains(errs, "frontchannel-logout-uri") {
		t.Fatalf("bad front-channel URI: %d %q", st, errs)
	}
	if st, _, errs := sx("add", "--id", "wiki", "--name", "Again", "--redirect-uri", "https://x.example/"); st != 1 || !strings.Contains(errs, "already registered") {
		t.Fatalf("taken id: %d %q", st, errs)
	}
	if st, out, _ := sx("add", "--id", "cli", "--name", "CLI", "--type", "public", "--first-party", "--redirect-uri", "http://127.0.0.1:9/cb"); st != 0 || strings.Contains(out, "client_secret") || !strings.Contains(out, "public, first-party") {
		t.Fatalf("public add: %d %q", st, out)
	}
	if st, _, _ := sx("add", "--id", "x", "--name", "X"); st != 2 {
		t.Fatalf("add without --redirect-uri: %d", st)
	}
	st, out, _ = sx("list")
	if st != 0 || !strings.Contains(out, "wiki\tconfidential\tCo-op wiki\thttps://wiki.example.org/cb https://wiki.example.org/cb2") || !strings.Contains(out, "cli\tpublic first-party") {
		t.Fatalf("list: %d %q", st, out)
	}
	if st, out, _ := sx("remove", "wiki"); st != 0 || !strings.Contains(out, "removed wiki") {
		t.Fatalf("remove: %d %q", st, out)
	}
	if st, _, errs := sx("remove", "wiki"); st != 1 || !strings.Contains(errs, "no client wiki") {
		t.Fatalf("remove again: %d %q", st, errs)
	}
	if _, out, _ := sx("list"); strings.Contains(out, "wiki") {
		t.Fatalf("removed client still listed: %q", out)
	}
	// The seed registers the six services as first-party public clients,
	// and seeding again keeps them.
	for i := 0; i < 2; i++ {
		var o, e bytes.Buffer
		if st := SxhostMain([]string{"seed"}, &o, &e); st != 0 {
			t.Fatalf("seed: %d %q", st, e.String())
		}
	}
	_, out, _ = sx("list")
	for i, svc := range []string{"blog", "market", "cart", "events", "federation", "account"} {
		want := svc + "\tpublic first-party\t" + strings.ToUpper(svc[:1]) + svc[1:] + "\thttp://127.0.0.1:800" + string(rune('1'+i)) + "/auth/callback"
		if !strings.Contains(out, want) {
			t.Errorf("after seed, list lacks %q:\n%s", want, out)
		}
		// Each but the provider itself has its /auth/sso-clear as its
		// front-channel logout URI, with iss and sid (its /auth/sso-clear
		// clears nothing without them).
		var fc *string
		var fcSession bool
		conn.QueryRow(context.Background(), "select frontchannel_logout_uri, frontchannel_logout_session_required from oauth_clients where client_id = $1", svc).Scan(&fc, &fcSession)
		wantFC := "http://127.0.0.1:800" + string(rune('1'+i)) + "/auth/sso-clear"
		if svc == "federation" && fc != nil || svc != "federation" && (fc == nil || *fc != wantFC || !fcSession) {
			t.Errorf("%s's front-channel logout URI: %v (session required %v), want %q with iss and sid", svc, fc, fcSession, wantFC)
		}
	}
}
