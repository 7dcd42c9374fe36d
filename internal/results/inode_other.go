//go:build !unix

package results

import "io/fs"

// inode is 0 where the file system has no inode numbers in reach.
func inode(fs.FileInfo) uint64 { return 0 }
