// Package host turns .sx service definitions into running web services on
// fasthttp.
//
// A Platform holds the services loaded into one process. Each Service has
// its own SX environment, built from its file (and services/<name>/*.sx),
// and serves, from the definitions registered there:
//
//	GET  /internal/schema             every query, action, fragment, page and route
//	GET  /internal/data/{query}       a defquery; parameters from the query string
//	POST /internal/actions/{action}   a defaction; a JSON object body; one transaction
//	GET  /internal/fragments/{type}   a defhandler: HTML, or text/sx when asked
//	GET  /healthz, /readyz, /metrics  liveness, readiness (the database), Prometheus
//	the paths of defpage and defroute, and /static/ files
//
// Requests run with a deadline that cancels their SQL and outgoing calls.
// Internal endpoints check an HMAC signature when a secret is configured.
// Evaluation errors answer 500 with an error id that is also in the log.
package host
