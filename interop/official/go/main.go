// The official Go client (github.com/apache/rocketmq-clients/golang/v5) against
// rmq-mini-broker. Usage: go run . HOST:PORT
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	rmq "github.com/apache/rocketmq-clients/golang/v5"
	"github.com/apache/rocketmq-clients/golang/v5/credentials"
)

var passed, failed int

func check(ok bool, what string) {
	if ok {
		passed++
		fmt.Println("PASS", what)
	} else {
		failed++
		fmt.Println("FAIL", what)
	}
}

func main() {
	os.Setenv("mq.consoleAppender.enabled", "false")
	rmq.ResetLogger()
	endpoint := os.Args[1]
	run(endpoint)
	fmt.Printf("go official client: %d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func run(endpoint string) {
	config := func(group string) *rmq.Config {
		return &rmq.Config{Endpoint: endpoint, ConsumerGroup: group, Credentials: &credentials.SessionCredentials{}}
	}
	producer, err := rmq.NewProducer(config(""), rmq.WithTopics("normal", "fifo"))
	if err == nil {
		err = producer.Start()
	}
	if err != nil {
		check(false, fmt.Sprintf("producer starts: %v", err))
		return
	}
	defer producer.GracefulStop()
	ids := map[string]bool{}
	for i := 0; i < 3; i++ {
		m := &rmq.Message{Topic: "normal", Body: []byte(fmt.Sprintf("n%d", i))}
		m.SetTag("TagA")
		m.AddProperty("color", "red")
		receipts, err := producer.Send(context.TODO(), m)
		if err == nil {
			ids[receipts[0].MessageID] = true
		}
	}
	check(len(ids) == 3, "producer sends 3 messages")

	consumer, err := rmq.NewSimpleConsumer(config("go-simple"),
		rmq.WithSimpleAwaitDuration(5*time.Second),
		rmq.WithSimpleSubscriptionExpressions(map[string]*rmq.FilterExpression{"normal": rmq.NewFilterExpression("TagA")}))
	if err == nil {
		err = consumer.Start()
	}
	if err != nil {
		check(false, fmt.Sprintf("simple consumer starts: %v", err))
		return
	}
	defer consumer.GracefulStop()
	got := 0
	deadline := time.Now().Add(20 * time.Second)
	for got < 3 && time.Now().Before(deadline) {
		views, err := consumer.Receive(context.TODO(), 32, 15*time.Second)
		if err != nil {
			continue
		}
		for _, view := range views {
			if ids[view.GetMessageId()] && view.GetProperties()["color"] == "red" && consumer.Ack(context.TODO(), view) == nil {
				got++
			}
		}
	}
	check(got == 3, fmt.Sprintf("simple consumer receives and acks the 3 (%d)", got))

	for i := 0; i < 4; i++ {
		m := &rmq.Message{Topic: "fifo", Body: []byte(fmt.Sprintf("f%d", i))}
		m.SetMessageGroup("g1")
		producer.Send(context.TODO(), m)
	}
	order := make(chan string, 16)
	push, err := rmq.NewPushConsumer(config("go-fifo"),
		rmq.WithPushSubscriptionExpressions(map[string]*rmq.FilterExpression{"fifo": rmq.SUB_ALL}),
		rmq.WithPushMessageListener(&rmq.FuncMessageListener{Consume: func(view *rmq.MessageView) rmq.ConsumerResult {
			order <- string(view.GetBody())
			return rmq.SUCCESS
		}}))
	if err == nil {
		err = push.Start()
	}
	if err != nil {
		check(false, fmt.Sprintf("push consumer starts: %v", err))
		return
	}
	defer push.GracefulStop()
	var seen []string
	timeout := time.After(20 * time.Second)
	for len(seen) < 4 {
		select {
		case body := <-order:
			seen = append(seen, body)
		case <-timeout:
			check(false, fmt.Sprintf("FIFO push consumer got only %v", seen))
			return
		}
	}
	check(fmt.Sprint(seen) == "[f0 f1 f2 f3]", fmt.Sprintf("FIFO push consumer in order %v", seen))
}
