// The official Go client (github.com/apache/rocketmq-clients/golang/v5) against
// rmq-mini-broker. Usage: go run . HOST:PORT (the scenarios), or
// go run . crash-producer HOST:PORT NORMAL_TOPIC FIFO_TOPIC (crash_producer.go).
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
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
	if len(os.Args) == 5 && os.Args[1] == "crash-producer" {
		crashProducer(os.Args[2], os.Args[3], os.Args[4])
		return
	}
	endpoint := os.Args[1]
	run(endpoint)
	delayAndRedelivery(endpoint)
	transactions(endpoint)
	fmt.Printf("go official client: %d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func run(endpoint string) {
	producer, ok := startProducer(endpoint, rmq.WithTopics("normal", "fifo"))
	if !ok {
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

	consumer, err := simpleConsumer(endpoint, "go-simple", "normal", "TagA")
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
	push, err := rmq.NewPushConsumer(config(endpoint, "go-fifo"),
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

// startProducer starts a producer, recording a failure if it cannot.
func startProducer(endpoint string, opts ...rmq.ProducerOption) (rmq.Producer, bool) {
	producer, err := rmq.NewProducer(config(endpoint, ""), opts...)
	if err == nil {
		err = producer.Start()
	}
	if err != nil {
		check(false, fmt.Sprintf("producer starts: %v", err))
		return nil, false
	}
	return producer, true
}

func config(endpoint, group string) *rmq.Config {
	return &rmq.Config{Endpoint: endpoint, ConsumerGroup: group, Credentials: &credentials.SessionCredentials{}}
}

func simpleConsumer(endpoint, group, topic, tag string) (rmq.SimpleConsumer, error) {
	consumer, err := rmq.NewSimpleConsumer(config(endpoint, group),
		rmq.WithSimpleAwaitDuration(5*time.Second),
		rmq.WithSimpleSubscriptionExpressions(map[string]*rmq.FilterExpression{topic: rmq.NewFilterExpression(tag)}))
	if err == nil {
		err = consumer.Start()
	}
	return consumer, err
}

// receive polls until want views arrived or the time is up.
func receive(consumer rmq.SimpleConsumer, want int, within time.Duration) []*rmq.MessageView {
	var got []*rmq.MessageView
	deadline := time.Now().Add(within)
	for len(got) < want && time.Now().Before(deadline) {
		views, err := consumer.Receive(context.TODO(), 32, 10*time.Second)
		if err == nil {
			got = append(got, views...)
		}
	}
	return got
}

func delayAndRedelivery(endpoint string) {
	producer, ok := startProducer(endpoint, rmq.WithTopics("delay", "normal"))
	if !ok {
		return
	}
	defer producer.GracefulStop()
	due := time.Now().Add(1500 * time.Millisecond)
	delayed := &rmq.Message{Topic: "delay", Body: []byte("d")}
	delayed.SetTag("later")
	delayed.SetDelayTimestamp(due)
	_, err := producer.Send(context.TODO(), delayed)
	check(err == nil, fmt.Sprintf("delay message sent (%v)", err))
	consumer, err := simpleConsumer(endpoint, "go-delay", "delay", "later")
	if err != nil {
		check(false, fmt.Sprintf("simple consumer starts: %v", err))
		return
	}
	got := receive(consumer, 1, 20*time.Second)
	check(len(got) == 1 && !time.Now().Before(due), fmt.Sprintf("delay message delivered at its time (%d)", len(got)))
	for _, view := range got {
		consumer.Ack(context.TODO(), view)
	}
	consumer.GracefulStop()

	again := &rmq.Message{Topic: "normal", Body: []byte("r")}
	again.SetTag("again")
	producer.Send(context.TODO(), again)
	consumer, err = simpleConsumer(endpoint, "go-redelivery", "normal", "again")
	if err != nil {
		check(false, fmt.Sprintf("simple consumer starts: %v", err))
		return
	}
	defer consumer.GracefulStop()
	first := receive(consumer, 1, 20*time.Second)
	second := receive(consumer, 1, 30*time.Second)
	check(len(first) == 1 && len(second) == 1 && second[0].GetMessageId() == first[0].GetMessageId() &&
		second[0].GetDeliveryAttempt() == 2, "unacked message redelivered with attempt 2")
	for _, view := range second {
		consumer.Ack(context.TODO(), view)
	}
}

func transactions(endpoint string) {
	var mu sync.Mutex
	var checked []string
	checker := &rmq.TransactionChecker{Check: func(view *rmq.MessageView) rmq.TransactionResolution {
		mu.Lock()
		defer mu.Unlock()
		checked = append(checked, string(view.GetBody()))
		return rmq.COMMIT
	}}
	producer, ok := startProducer(endpoint, rmq.WithTopics("tx"), rmq.WithTransactionChecker(checker))
	if !ok {
		return
	}
	defer producer.GracefulStop()
	send := func(body string) rmq.Transaction {
		transaction := producer.BeginTransaction()
		m := &rmq.Message{Topic: "tx", Body: []byte(body)}
		m.SetTag("go-tx")
		if _, err := producer.SendWithTransaction(context.TODO(), m, transaction); err != nil {
			check(false, fmt.Sprintf("half message %s: %v", body, err))
		}
		return transaction
	}
	check(send("committed").Commit() == nil, "transaction commits")
	send("orphan") // left undecided: the broker asks the checker
	consumer, err := simpleConsumer(endpoint, "go-tx", "tx", "go-tx")
	if err != nil {
		check(false, fmt.Sprintf("simple consumer starts: %v", err))
		return
	}
	defer consumer.GracefulStop()
	got := receive(consumer, 2, 30*time.Second)
	var bodies []string
	for _, view := range got {
		bodies = append(bodies, string(view.GetBody()))
		consumer.Ack(context.TODO(), view)
	}
	sort.Strings(bodies)
	mu.Lock()
	asked := fmt.Sprint(checked)
	mu.Unlock()
	check(fmt.Sprint(bodies) == "[committed orphan]" && asked != "[]",
		fmt.Sprintf("transaction committed, orphan resolved by the checker %v (checked %s)", bodies, asked))
}
