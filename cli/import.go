package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

const importUsage = `usage: sxhost import-products --market SLUG [--format csv|json] [--dry-run] [--services DIR] FILE

Imports a catalogue file into a market of DATABASE_URL through market's
import-catalogue action (docs/admin.md): products are upserted by SKU, and
a report says what was created, what changed (field, before, after) and
what was left as it was. The whole file is checked first: a bad row
refuses the import (exit status 1, the row and field named) and nothing is
written. --dry-run reports without writing. The format comes from the
file's extension (.csv, .json) unless --format says. "-" reads standard
input.
`

// importProducts runs sxhost import-products.
func importProducts(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sxhost import-products", flag.ContinueOnError)
	market := fs.String("market", "", "the market's slug")
	format := fs.String("format", "", "csv or json (default: from the file's extension)")
	dryRun := fs.Bool("dry-run", false, "report what would change without writing")
	dir := fs.String("services", "services", "the directory of the service files")
	if status, ok := parseFlags(fs, args, importUsage, stdout, stderr); !ok {
		return status
	}
	if *market == "" || fs.NArg() != 1 {
		fmt.Fprint(stderr, importUsage)
		return 2
	}
	file := fs.Arg(0)
	var text []byte
	var err error
	if file == "-" {
		text, err = io.ReadAll(os.Stdin)
	} else {
		text, err = os.ReadFile(file)
	}
	if err != nil {
		fmt.Fprintln(stderr, "sxhost import-products:", err)
		return 1
	}
	f := strings.ToLower(*format)
	if f == "" {
		f = strings.TrimPrefix(strings.ToLower(filepath.Ext(file)), ".")
	}
	if f != "csv" && f != "json" {
		fmt.Fprintln(stderr, "sxhost import-products: say --format csv or --format json")
		return 2
	}
	// The file's text travels as an SX string literal; the report is
	// printed by SX, in the order people read it.
	src := fmt.Sprintf(`(let ((m (or (query "market" "marketplace-by-slug" :slug %s) (error (str "no market " %s))))
	       (r (action "market" "import-catalogue" :market-id (get m :id) :format %s :text %s :dry-run %v)))
	  (println (str "market " (get m :slug) ": " (get r :rows) " rows: " (len (get r :created)) " new, "
	                (len (get r :updated)) " changed, " (get r :unchanged) " unchanged"
	                (if (get r :dry_run) " (dry run: nothing written)" "")))
	  (for-each (fn (e) (println (str "error    " e))) (get r :errors))
	  (for-each (fn (c) (println (str "new      " (get c :sku) "  " (get c :title) "  /" (get c :slug) "/"))) (get r :created))
	  (for-each (fn (u) (println (str "changed  " (get u :sku) "  " (get u :title) ": "
	                                  (join "; " (map (fn (c) (str (get c :field) " " (get c :before) " -> " (get c :after)))
	                                                  (get u :changes))))))
	            (get r :updated))
	  (when (not (empty? (get r :categories_created)))
	    (println (str "categories created: " (join ", " (get r :categories_created)))))
	  (println (str (get r :not_in_file) " of the market's products are not in the file (left as they are)"))
	  (when (not (empty? (get r :errors))) (error (str (len (get r :errors)) " bad rows: nothing imported"))))`,
		sxString(*market), sxString(*market), sxString(f), sxString(string(text)), *dryRun)
	return runServiceSource(ctx, "sxhost import-products", filepath.Join(*dir, "market.sx"), src, stdout, stderr)
}
