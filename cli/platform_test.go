package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rose-ash/sxhost/internal/pgtest"
)

// TestSeedThenRunThePlatform is the README's run command end to end, as
// processes: `sxhost seed` fills a fresh database through the six service
// files (and leaves it alone the second time), then `sxhost run` serves
// all six, and the activity processors finish what the seed's orders
// started (the paid order's tickets confirmed, its cart lines cleared).
func TestSeedThenRunThePlatform(t *testing.T) {
	url, drop, err := pgtest.Create("sx_cli_platform")
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	bin := buildSxhost(t)
	env := append(os.Environ(), "DATABASE_URL="+url, "REDIS_URL=")

	seed := func() string {
		cmd := exec.Command(bin, "seed")
		cmd.Dir = ".."
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sxhost seed: %v\n%s", err, out)
		}
		return string(out)
	}
	if out := seed(); !strings.Contains(out, "seeded: 3 users") {
		t.Fatalf("first seed: %s", out)
	}
	if out := seed(); !strings.Contains(out, "nothing seeded") {
		t.Fatalf("second seed should leave the data alone: %s", out)
	}

	addrs := map[string]string{}
	runEnv := append([]string(nil), env...)
	for _, s := range []string{"blog", "market", "cart", "events", "federation", "account"} {
		addrs[s] = freeAddr(t)
		runEnv = append(runEnv, "SX_ADDR_"+strings.ToUpper(s)+"="+addrs[s])
	}
	cmd := exec.Command(bin, "run", "services/blog.sx", "services/market.sx", "services/cart.sx",
		"services/events.sx", "services/federation.sx", "services/account.sx")
	cmd.Dir = ".."
	cmd.Env = runEnv
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	getJSON := func(u string) any {
		var v any
		json.Unmarshal([]byte(waitBody(t, u)), &v)
		return v
	}
	// Ben's two orders are paid; the ticket order's tickets get confirmed
	// by the order.paid handler running in cart's processor.
	orders, _ := getJSON("http://" + addrs["cart"] + "/internal/data/orders-for-user?user-id=2").([]any)
	if len(orders) != 2 {
		t.Fatalf("ben's orders: %v\n%s", orders, logs.String())
	}
	var ticketOrder float64
	for _, o := range orders {
		m := o.(map[string]any)
		if m["status"] != "paid" {
			t.Errorf("order %v is %v, want paid", m["id"], m["status"])
		}
		// Two supper tickets (2 × 18) and the bread class booked with them (12.50).
		if m["total_amount"] == 48.5 {
			ticketOrder = m["id"].(float64)
		}
	}
	confirmed := func() bool {
		resp, err := http.Get("http://" + addrs["events"] + "/internal/data/tickets-for-order?order-id=" + strconv.FormatFloat(ticketOrder, 'f', -1, 64))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var tickets []map[string]any
		json.NewDecoder(resp.Body).Decode(&tickets)
		if len(tickets) != 2 {
			return false
		}
		for _, tk := range tickets {
			if tk["state"] != "confirmed" {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(15 * time.Second)
	for !confirmed() {
		if time.Now().After(deadline) {
			t.Fatalf("the paid order's tickets were never confirmed\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Cleo's lentils are still in her cart; her checked-out oats are not.
	items, _ := getJSON("http://" + addrs["cart"] + "/internal/data/cart-items?user-id=3").([]any)
	if len(items) != 1 || items[0].(map[string]any)["product_slug"] != "red-lentils-500g" {
		t.Errorf("cleo's cart: %v", items)
	}
	// The navigation caught up with the container graph: the market sits
	// under the shop's menu node, the calendar under the events page's.
	linked := func() map[string]bool {
		found := map[string]bool{}
		tree, _ := getJSON("http://" + addrs["blog"] + "/internal/data/nav-menu").([]any)
		for _, n := range tree {
			for _, c := range n.(map[string]any)["children"].([]any) {
				if lt, ok := c.(map[string]any)["link_type"].(string); ok {
					found[lt] = true
				}
			}
		}
		return found
	}
	for deadline := time.Now().Add(15 * time.Second); !linked()["market"] || !linked()["calendar"]; {
		if time.Now().After(deadline) {
			t.Fatalf("the menu never linked the market and the calendar: %v\n%s", linked(), logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Each service describes itself.
	for name, addr := range addrs {
		s, _ := getJSON("http://" + addr + "/internal/schema").(map[string]any)
		if s["service"] != name {
			t.Errorf("%s's schema names %v", name, s["service"])
		}
	}
	stopWithSIGTERM(t, cmd, &logs)
}
