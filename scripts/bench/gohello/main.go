// Command gohello does nothing: the benchmark times it as the start-up
// floor of any static Go program, the runtime's own cost.
package main

func main() {}
