package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/rose-ash/sxhost/host"
	"github.com/rose-ash/sxhost/migrations"
	sqlprims "github.com/rose-ash/sxhost/prims/sql"
	"github.com/rose-ash/sxhost/runtime"
)

const clientsUsage = `usage:
  sxhost clients add --id ID --name NAME --redirect-uri URI [--redirect-uri URI ...]
                     [--type confidential|public] [--post-logout-uri URI ...]
                     [--scopes "openid email ..."] [--first-party]
                     [--frontchannel-logout-uri URI [--frontchannel-session-required]]
  sxhost clients list
  sxhost clients remove ID

Registers, lists and removes the OAuth / OpenID Connect clients of federation
(docs/auth.md) in DATABASE_URL, through federation's own actions. add prints a
confidential client's secret once: only its hash is kept. remove revokes the
client's grants and deletes it.
`

// listFlag collects a repeated string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// sxString is v as an SX string literal.
func sxString(v string) string { return runtime.Print(v) }

func sxList(vs []string) string {
	if len(vs) == 0 {
		return "nil"
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = sxString(v)
	}
	return "(list " + strings.Join(out, " ") + ")"
}

// clients runs sxhost clients.
func clients(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, clientsUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var src string
	switch args[0] {
	case "add":
		fs := flag.NewFlagSet("sxhost clients add", flag.ContinueOnError)
		id := fs.String("id", "", "the client_id (letters, digits, - . _ :)")
		name := fs.String("name", "", "the name people see on the consent page")
		kind := fs.String("type", "confidential", "confidential (a server with a secret) or public (PKCE only)")
		scopes := fs.String("scopes", "", "the scopes it may ask for, space-separated (default: any)")
		firstParty := fs.Bool("first-party", false, "one of the platform's own services: no consent page")
		frontchannel := fs.String("frontchannel-logout-uri", "", "the URI the end-session page loads in an iframe (Front-Channel Logout 1.0)")
		fcSession := fs.Bool("frontchannel-session-required", false, "send iss and sid to the front-channel logout URI")
		var redirects, logouts listFlag
		fs.Var(&redirects, "redirect-uri", "a redirect URI, matched exactly (repeat for more)")
		fs.Var(&logouts, "post-logout-uri", "a post-logout redirect URI (repeat for more)")
		if status, ok := parseFlags(fs, args[1:], clientsUsage, stdout, stderr); !ok {
			return status
		}
		if *id == "" || *name == "" || len(redirects) == 0 {
			fmt.Fprintln(stderr, "sxhost clients add: --id, --name and at least one --redirect-uri are required")
			return 2
		}
		scopeArg, fcArg := "nil", "nil"
		if *scopes != "" {
			scopeArg = sxString(*scopes)
		}
		if *frontchannel != "" {
			fcArg = sxString(*frontchannel)
		}
		src = fmt.Sprintf(`(let ((c (action "federation" "register-oauth-client" :client-id %s :name %s :client-type %s
		                          :redirect-uris %s :post-logout-redirect-uris %s :allowed-scopes %s :first-party %v
		                          :frontchannel-logout-uri %s :frontchannel-logout-session-required %v)))
		  (println (str "registered " (get c :client_id) " (" (get c :client_type) (if (get c :first_party) ", first-party" "") ")"))
		  (when (get c :client_secret)
		    (println (str "client_secret: " (get c :client_secret)))
		    (println "Keep the secret now: it is not shown again (only its hash is stored).")))`,
			sxString(*id), sxString(*name), sxString(*kind), sxList(redirects), sxList(logouts), scopeArg, *firstParty,
			fcArg, *fcSession)
	case "list":
		if len(args) != 1 {
			fmt.Fprint(stderr, clientsUsage)
			return 2
		}
		src = `(for-each (fn (c)
		   (println (str (get c :client_id) "\t" (get c :client_type) (if (get c :first_party) " first-party" "")
		                 (if (get c :disabled_at) " disabled" "") "\t" (get c :name) "\t" (join " " (get c :redirect_uris)))))
		  (query "federation" "oauth-clients"))`
	case "remove":
		if len(args) != 2 {
			fmt.Fprint(stderr, clientsUsage)
			return 2
		}
		src = fmt.Sprintf(`(let ((r (action "federation" "remove-oauth-client" :client-id %s)))
		  (if (= (get r :removed) 0)
		      (error (str "no client " %s))
		      (println (str "removed " %s "; " (get r :revoked) " grant(s) revoked"))))`,
			sxString(args[1]), sxString(args[1]), sxString(args[1]))
	default:
		fmt.Fprintf(stderr, "sxhost clients: unknown subcommand %q\n%s", args[0], clientsUsage)
		return 2
	}
	return runServiceSource(ctx, "sxhost clients", "services/federation.sx", src, stdout, stderr)
}

// runServiceSource opens DATABASE_URL, applies the migrations, loads one
// service file and runs SX source in it: the shape of the commands that
// act through a service's own queries and actions (clients,
// import-products). cmd names the command in messages.
func runServiceSource(ctx context.Context, cmd, serviceFile, src string, stdout, stderr io.Writer) int {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		fmt.Fprintln(stderr, cmd+": DATABASE_URL is not set")
		return 2
	}
	pool, err := host.OpenDatabase(ctx, url, sqlprims.Options{})
	if err != nil {
		fmt.Fprintln(stderr, cmd+": database:", err)
		return 1
	}
	defer pool.Close()
	if _, err := migrations.Up(ctx, pool, migrations.FS); err != nil {
		fmt.Fprintln(stderr, cmd+":", err)
		return 1
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	p, err := host.New([]string{serviceFile}, host.Options{DB: pool, Logger: log, Getenv: os.Getenv})
	if err != nil {
		return report(stderr, err)
	}
	if _, err := p.RunSource(ctx, cmd, src, stdout); err != nil {
		return report(stderr, err)
	}
	return 0
}
