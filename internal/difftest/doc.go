// Package difftest checks compiled rule matchers against the interpreter:
// random events built from the rules' own literals must get the same
// verdict and the same output text from both.
package difftest
