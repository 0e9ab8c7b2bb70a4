package main

// The official Go client as one of the crash loop's producers (tools/reliability, crash-loop):
// it sends a normal message and a FIFO message in turn until its stdin closes and prints one
// line per send, `OK <key>` or `ERR <key> <error>`, so the crash loop can count every
// acknowledged send and check that it is delivered, FIFO groups in order. It never restarts:
// recovering from the broker's SIGKILLs is the client's own business.
//
// Usage: check crash-producer HOST:PORT NORMAL_TOPIC FIFO_TOPIC

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	rmq "github.com/apache/rocketmq-clients/golang/v5"
)

// fifoGroups is how many message groups the FIFO sends rotate through.
const fifoGroups = 3

// body is the crash loop's body for a key: the key and ';' repeated to about 256 bytes, so a
// consumer can tell a corrupt body from a good one by the key alone.
func body(key string) []byte {
	unit := key + ";"
	return []byte(strings.Repeat(unit, 256/len(unit)+1))
}

func crashProducer(endpoint, normalTopic, fifoTopic string) {
	producer, err := rmq.NewProducer(config(endpoint, ""), rmq.WithTopics(normalTopic, fifoTopic))
	if err == nil {
		err = producer.Start()
	}
	if err != nil {
		fmt.Printf("FATAL producer does not start: %v\n", err)
		os.Exit(1)
	}
	var stop atomic.Bool
	go func() {
		// The crash loop closes our stdin (or dies) when it is done.
		_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		stop.Store(true)
	}()
	out := bufio.NewWriter(os.Stdout)
	seq := make([]int, fifoGroups)
	for n := 0; !stop.Load(); n++ {
		var m *rmq.Message
		var key string
		if n%2 == 0 {
			key = fmt.Sprintf("go:normal:-:%d", n/2)
			m = &rmq.Message{Topic: normalTopic}
		} else {
			group := (n / 2) % fifoGroups
			key = fmt.Sprintf("go:fifo:go-g%d:%d", group, seq[group])
			seq[group]++
			m = &rmq.Message{Topic: fifoTopic}
			m.SetMessageGroup(fmt.Sprintf("go-g%d", group))
		}
		m.Body = body(key)
		m.SetKeys(key)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := producer.Send(ctx, m)
		cancel()
		if err == nil {
			fmt.Fprintf(out, "OK %s\n", key)
		} else {
			fmt.Fprintf(out, "ERR %s %s\n", key, strings.ReplaceAll(err.Error(), "\n", " "))
		}
		out.Flush()
		time.Sleep(10 * time.Millisecond)
	}
	producer.GracefulStop()
}
