//go:build !linux

package main

func notDumpable() {}
