package main

import "context"

func cmdGate(_ context.Context, e *env, args []string) int { return exitBadUsage }
