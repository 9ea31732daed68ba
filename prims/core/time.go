package core

import (
	"strconv"
	"strings"
	"time"

	"github.com/rose-ash/sxhost/runtime"
)

// Datetime primitives. A datetime is a time.Time; it prints and encodes as
// RFC 3339.

var timePrims = []*runtime.Primitive{
	{Name: "parse-datetime", Params: "(s)", Doc: "The datetime written in ISO 8601 in s (\"2026-03-04\", \"2026-03-04T10:00:00Z\", \"2026-03-04 10:00:00+01:00\" …; no zone means UTC). nil or \"\" give nil; other text is an error.", MinArgs: 1, MaxArgs: 1, Fn: parseDatetime},
	{Name: "format-date", Params: "(date fmt)", Doc: "date formatted with strftime directives (%Y %m %d %H %M %S %b %B %a %A %y %e %j %p %I %Z %z %f %F %T …; %-d drops padding). date may be an ISO string; nil gives nil.", MinArgs: 2, MaxArgs: 2, Fn: formatDate},
	{Name: "datetime->string", Params: "(date)", Doc: "date in RFC 3339 form; nil gives nil.", MinArgs: 1, MaxArgs: 1, Fn: datetimeString},
	{Name: "unix-seconds", Params: "(date)", Doc: "date as whole seconds since 1970-01-01T00:00:00Z (for JWT iat/exp); date may be an ISO string; nil gives nil.", MinArgs: 1, MaxArgs: 1, Fn: unixSeconds},
}

func unixSeconds(th *Thread, args []Value) Value {
	t := parseDatetime(th, args)
	if t == nil {
		return nil
	}
	return t.(time.Time).Unix()
}

func parseDatetime(th *Thread, args []Value) Value {
	switch x := args[0].(type) {
	case nil:
		return nil
	case time.Time:
		return x
	case string:
		if strings.TrimSpace(x) == "" {
			return nil
		}
		t, ok := parseISO(strings.TrimSpace(x))
		if !ok {
			th.Fail("parse-datetime: invalid datetime %s", runtime.Print(x))
		}
		return t
	}
	th.Fail("parse-datetime expects a string, got %s", runtime.TypeOf(args[0]))
	return nil
}

// parseISO reads YYYY-MM-DD[(T| )HH:MM[:SS[.frac]][Z|±HH[:MM]|±HHMM]].
func parseISO(s string) (time.Time, bool) {
	p := isoParser{s: s}
	year := p.digits(4)
	ok := p.byte('-')
	month := p.digits(2)
	ok = ok && p.byte('-')
	day := p.digits(2)
	if !ok || p.bad || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return time.Time{}, false
	}
	var hour, minute, sec, nsec int
	loc := time.UTC
	if p.more() {
		if c := p.s[p.i]; c != 'T' && c != 't' && c != ' ' {
			return time.Time{}, false
		}
		p.i++
		hour = p.digits(2)
		ok = p.byte(':')
		minute = p.digits(2)
		if p.more() && p.s[p.i] == ':' {
			p.i++
			sec = p.digits(2)
			if p.more() && (p.s[p.i] == '.' || p.s[p.i] == ',') {
				p.i++
				nsec = p.fraction()
			}
		}
		if !ok || p.bad || hour > 23 || minute > 59 || sec > 59 {
			return time.Time{}, false
		}
		if p.more() {
			var zok bool
			if loc, zok = p.zone(); !zok {
				return time.Time{}, false
			}
		}
	}
	if p.more() || p.bad {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), true
}

type isoParser struct {
	s   string
	i   int
	bad bool
}

func (p *isoParser) more() bool { return p.i < len(p.s) }

func (p *isoParser) byte(c byte) bool {
	if p.more() && p.s[p.i] == c {
		p.i++
		return true
	}
	p.bad = true
	return false
}

// digits reads exactly n decimal digits.
func (p *isoParser) digits(n int) int {
	v := 0
	for k := 0; k < n; k++ {
		if !p.more() || p.s[p.i] < '0' || p.s[p.i] > '9' {
			p.bad = true
			return 0
		}
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
	}
	return v
}

// fraction reads 1+ digits of a second's fraction as nanoseconds; digits
// beyond nanoseconds are ignored.
func (p *isoParser) fraction() int {
	v, n := 0, 0
	for p.more() && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		if n < 9 {
			v = v*10 + int(p.s[p.i]-'0')
		}
		n++
		p.i++
	}
	if n == 0 {
		p.bad = true
	}
	for ; n < 9; n++ {
		v *= 10
	}
	return v
}

func (p *isoParser) zone() (*time.Location, bool) {
	c := p.s[p.i]
	if c == 'Z' || c == 'z' {
		p.i++
		return time.UTC, true
	}
	if c != '+' && c != '-' {
		return nil, false
	}
	p.i++
	h := p.digits(2)
	m := 0
	if p.more() {
		if p.s[p.i] == ':' {
			p.i++
		}
		m = p.digits(2)
	}
	if p.bad || h > 23 || m > 59 {
		return nil, false
	}
	off := (h*60 + m) * 60
	if off == 0 {
		return time.UTC, true
	}
	if c == '-' {
		off = -off
	}
	return time.FixedZone("", off), true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// wantTime unpacks a datetime, reading ISO strings too; ok is false for nil.
func wantTime(th *Thread, name string, v Value) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case nil:
		return time.Time{}, false
	case string:
		if t, ok := parseISO(strings.TrimSpace(x)); ok {
			return t, true
		}
		th.Fail("%s: invalid datetime %s", name, runtime.Print(x))
	}
	th.Fail("%s expects a datetime, got %s", name, runtime.TypeOf(v))
	return time.Time{}, false
}

func datetimeString(th *Thread, args []Value) Value {
	t, ok := wantTime(th, "datetime->string", args[0])
	if !ok {
		return nil
	}
	return t.Format(time.RFC3339Nano)
}

func formatDate(th *Thread, args []Value) Value {
	t, ok := wantTime(th, "format-date", args[0])
	if !ok {
		return nil
	}
	f := wantString(th, "format-date", args[1])
	var b strings.Builder
	b.Grow(len(f) + 16)
	strftime(th, &b, t, f)
	return b.String()
}

// strftime writes t formatted by f. The flag '-' after '%' drops padding
// from numeric fields (%-d), as glibc does.
func strftime(th *Thread, b *strings.Builder, t time.Time, f string) {
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		noPad := false
		if i < len(f) && f[i] == '-' {
			noPad = true
			i++
		}
		if i >= len(f) {
			th.Fail("format-date: format ends with a lone %%")
		}
		num := func(n, width int, pad byte) {
			s := strconv.Itoa(n)
			if !noPad {
				for k := len(s); k < width; k++ {
					b.WriteByte(pad)
				}
			}
			b.WriteString(s)
		}
		hour12 := t.Hour() % 12
		if hour12 == 0 {
			hour12 = 12
		}
		switch d := f[i]; d {
		case 'a':
			b.WriteString(t.Weekday().String()[:3])
		case 'A':
			b.WriteString(t.Weekday().String())
		case 'b', 'h':
			b.WriteString(t.Month().String()[:3])
		case 'B':
			b.WriteString(t.Month().String())
		case 'c':
			strftime(th, b, t, "%a %b %e %H:%M:%S %Y")
		case 'C':
			num(t.Year()/100, 2, '0')
		case 'd':
			num(t.Day(), 2, '0')
		case 'D', 'x':
			strftime(th, b, t, "%m/%d/%y")
		case 'e':
			num(t.Day(), 2, ' ')
		case 'f':
			num(t.Nanosecond()/1000, 6, '0')
		case 'F':
			strftime(th, b, t, "%Y-%m-%d")
		case 'G':
			y, _ := t.ISOWeek()
			num(y, 4, '0')
		case 'H':
			num(t.Hour(), 2, '0')
		case 'I':
			num(hour12, 2, '0')
		case 'j':
			num(t.YearDay(), 3, '0')
		case 'k':
			num(t.Hour(), 2, ' ')
		case 'l':
			num(hour12, 2, ' ')
		case 'm':
			num(int(t.Month()), 2, '0')
		case 'M':
			num(t.Minute(), 2, '0')
		case 'n':
			b.WriteByte('\n')
		case 'p':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'P':
			if t.Hour() < 12 {
				b.WriteString("am")
			} else {
				b.WriteString("pm")
			}
		case 'R':
			strftime(th, b, t, "%H:%M")
		case 's':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		case 'S':
			num(t.Second(), 2, '0')
		case 't':
			b.WriteByte('\t')
		case 'T', 'X':
			strftime(th, b, t, "%H:%M:%S")
		case 'u':
			num((int(t.Weekday())+6)%7+1, 1, '0')
		case 'U':
			num((t.YearDay()-1+7-int(t.Weekday()))/7, 2, '0')
		case 'V':
			_, w := t.ISOWeek()
			num(w, 2, '0')
		case 'w':
			num(int(t.Weekday()), 1, '0')
		case 'W':
			num((t.YearDay()-1+7-(int(t.Weekday())+6)%7)/7, 2, '0')
		case 'y':
			num(t.Year()%100, 2, '0')
		case 'Y':
			num(t.Year(), 4, '0')
		case 'z':
			b.WriteString(t.Format("-0700"))
		case 'Z':
			b.WriteString(t.Format("MST"))
		case '%':
			b.WriteByte('%')
		default:
			th.Fail("format-date: unknown directive %%%c", d)
		}
	}
}
