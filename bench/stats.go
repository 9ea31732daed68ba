package bench

import "slices"

// Median returns the median of xs (0 for none), leaving xs as it is.
func Median(xs []float64) float64 {
	v := slices.Clone(xs)
	slices.Sort(v)
	n := len(v)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
