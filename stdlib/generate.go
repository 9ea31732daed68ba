package stdlib

//go:generate go run ../internal/gendocs ../docs/reference.md
