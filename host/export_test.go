package host

import "sort"

// SetDirectQueries turns the direct query path (directquery.go) on or off
// for the whole process; tests compare the two answers.
func SetDirectQueries(on bool) { directQueriesOff.Store(!on) }

// DirectQueries names the service's defqueries answered without
// evaluation, sorted.
func (s *Service) DirectQueries() []string {
	var names []string
	for n := range s.state.Load().directs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
