package core

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"github.com/rose-ash/sxhost/runtime"
)

// CSV reading and writing (RFC 4180) on encoding/csv: catalogue imports and
// attendee exports. Parsing is Go because a quoted field may span lines and
// hold doubled quotes, which a split on commas gets wrong.

var csvPrims = []*runtime.Primitive{
	{Name: "csv/parse", Params: "(s)", Doc: "The records of CSV text s (RFC 4180: quoted fields may hold commas, doubled quotes and line breaks) as a list of lists of strings. A leading byte-order mark is dropped; records may have different lengths. Malformed text is an error naming its line.", MinArgs: 1, MaxArgs: 1, Fn: csvParse},
	{Name: "csv/format", Params: "(rows)", Doc: "CSV text (RFC 4180, CRLF line ends) of rows, a list of lists of cells: nil is empty, other values their str form. A text cell beginning with = + - @ or a tab is prefixed with ' so that a spreadsheet does not run it as a formula (numbers are left alone).", MinArgs: 1, MaxArgs: 1, Fn: csvFormat},
}

// maxCSVRecords bounds what one parse builds (a catalogue of a few thousand
// products is far below it).
const maxCSVRecords = 200_000

func csvParse(th *Thread, args []Value) Value {
	s := strings.TrimPrefix(wantString(th, "csv/parse", args[0]), "\uFEFF")
	r := csv.NewReader(strings.NewReader(s))
	r.FieldsPerRecord = -1
	var out []Value
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				th.Fail("csv/parse: line %d: %v", pe.Line, pe.Err)
			}
			th.Fail("csv/parse: %v", err)
		}
		if len(out) >= maxCSVRecords {
			th.Fail("csv/parse: more than %d records", maxCSVRecords)
		}
		row := make([]Value, len(rec))
		for i, f := range rec {
			row[i] = f
		}
		out = append(out, list(row))
	}
	return list(out)
}

func csvFormat(th *Thread, args []Value) Value {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	for _, r := range wantItems(th, "csv/format", args[0]) {
		cells := wantItems(th, "csv/format", r)
		rec := make([]string, len(cells))
		for i, c := range cells {
			s := toStr(c)
			if _, text := c.(string); text && s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
				s = "'" + s
			}
			rec[i] = s
		}
		if err := w.Write(rec); err != nil {
			th.Fail("csv/format: %v", err)
		}
	}
	w.Flush()
	return b.String()
}
