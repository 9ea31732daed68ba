// Package mediatest makes the images that prims/media's tests and the
// sites' upload tests send: a decompression bomb's header, for one.
package mediatest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// BombPNG is a PNG whose header (IHDR) declares w×h pixels of 8-bit RGBA
// and whose image data is a few bytes: decoding it would allocate w×h×4
// bytes, reading its header costs nothing.
func BombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}
