package streamcore

// Byte-mode chunk helpers: byte mode allows []byte and string chunks (see
// sizer), and paused-mode Read joins and splits them.

func appendChunk[T any](out []byte, c T) []byte {
	switch v := any(c).(type) {
	case []byte:
		return append(out, v...)
	case string:
		return append(out, v...)
	}
	panic("streamcore: byte mode with a chunk type that is neither []byte nor string")
}

func splitChunk[T any](c T, n int) (head, tail T) {
	switch v := any(c).(type) {
	case []byte:
		return any(v[:n:n]).(T), any(v[n:]).(T)
	case string:
		return any(v[:n]).(T), any(v[n:]).(T)
	}
	panic("streamcore: byte mode with a chunk type that is neither []byte nor string")
}

func fromBytes[T any](b []byte) T {
	var zero T
	switch any(zero).(type) {
	case []byte:
		return any(b).(T)
	case string:
		return any(string(b)).(T)
	}
	panic("streamcore: byte mode with a chunk type that is neither []byte nor string")
}
