package media

import (
	"bytes"
	"image/jpeg"
	"testing"
)

// What an upload costs, against its floor: storing a 12-megapixel photo
// (4000×3000 JPEG: header, decode, two Catmull-Rom copies encoded as
// JPEG, files already written) beside decoding it alone, in the same run.
// docs/benchmarks.md has the ratio.

func benchPhoto(b *testing.B) []byte {
	b.Helper()
	return encodeJPEG(b, testImage(4000, 3000, false))
}

func BenchmarkPutPhoto(b *testing.B) {
	data := benchPhoto(b)
	s := New(Config{Dir: b.TempDir(), MaxBytes: 32 << 20, MaxPixels: 40_000_000, MaxSide: 12_000, Widths: []int{480, 960}})
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := s.Put(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePhoto(b *testing.B) {
	data := benchPhoto(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
