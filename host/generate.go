package host

//go:generate go run ../internal/gendocs -services ../docs/services.md ../services/blog.sx ../services/market.sx ../services/cart.sx ../services/events.sx ../services/federation.sx ../services/account.sx
