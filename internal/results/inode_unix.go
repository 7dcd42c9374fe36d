//go:build unix

package results

import (
	"io/fs"
	"syscall"
)

// inode is fi's inode number, or 0.
func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
