package sqlprims

import (
	"github.com/jackc/pgx/v5"

	"github.com/rose-ash/sxhost/runtime"
)

// DecodeBothWays decodes every row of rows twice: as queries do (rowDecoder)
// and as they did before it, through pgx's Values and fromColumn. fast
// counts the values the decoder read straight from their bytes.
func DecodeBothWays(th *runtime.Thread, rows pgx.Rows) (got, want [][]runtime.Value, fast int, err error) {
	var dec rowDecoder
	dec.init(th, "test", rows)
	for rows.Next() {
		raw, err := rows.Values()
		if err != nil {
			return nil, nil, 0, err
		}
		w := make([]runtime.Value, len(raw))
		for i, r := range raw {
			w[i] = fromColumn(dec.fds[i], rows.RawValues()[i], r)
			if b := rows.RawValues()[i]; b != nil && dec.fast&(1<<i) != 0 {
				if _, ok := dec.decodeFast(dec.fds[i].DataTypeOID, b); ok {
					fast++
				}
			}
		}
		want = append(want, w)
		got = append(got, dec.row())
	}
	return got, want, fast, rows.Err()
}
