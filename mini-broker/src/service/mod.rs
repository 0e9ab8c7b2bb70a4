//! The `apache.rocketmq.v2.MessagingService` implementation, one file per RPC family: header
//! and request validation, business codes in response `Status` (gRPC OK), long polling and
//! Telemetry. This file only routes each call to its family.

mod ack;
mod admission;
mod lite;
mod pull;
mod receive;
mod route;
mod send;
mod session;
mod status;
mod transaction;
mod unsent;

use crate::core::Core;
pub(crate) use admission::*;
use rmq_proto::v2::messaging_service_server::MessagingService;
use rmq_proto::v2::*;
pub(crate) use status::*;
use std::pin::Pin;
use std::sync::Arc;
use tokio_stream::Stream;
use tonic::{Request, Response, Streaming};

type GrpcResult<T> = Result<Response<T>, tonic::Status>;
pub(crate) type BoxStream<T> =
    Pin<Box<dyn Stream<Item = Result<T, tonic::Status>> + Send + 'static>>;

/// The tonic service; cheap to clone.
#[derive(Clone)]
pub(crate) struct Service {
    pub(crate) core: Arc<Core>,
}

#[tonic::async_trait]
impl MessagingService for Service {
    async fn query_route(
        &self,
        request: Request<QueryRouteRequest>,
    ) -> GrpcResult<QueryRouteResponse> {
        self.serve_query_route(request).await
    }

    async fn heartbeat(&self, request: Request<HeartbeatRequest>) -> GrpcResult<HeartbeatResponse> {
        self.serve_heartbeat(request).await
    }

    async fn send_message(
        &self,
        request: Request<SendMessageRequest>,
    ) -> GrpcResult<SendMessageResponse> {
        self.serve_send_message(request).await
    }

    async fn query_assignment(
        &self,
        request: Request<QueryAssignmentRequest>,
    ) -> GrpcResult<QueryAssignmentResponse> {
        self.serve_query_assignment(request).await
    }

    type ReceiveMessageStream = BoxStream<ReceiveMessageResponse>;

    async fn receive_message(
        &self,
        request: Request<ReceiveMessageRequest>,
    ) -> GrpcResult<Self::ReceiveMessageStream> {
        self.serve_receive_message(request).await
    }

    async fn ack_message(
        &self,
        request: Request<AckMessageRequest>,
    ) -> GrpcResult<AckMessageResponse> {
        self.serve_ack_message(request).await
    }

    async fn forward_message_to_dead_letter_queue(
        &self,
        request: Request<ForwardMessageToDeadLetterQueueRequest>,
    ) -> GrpcResult<ForwardMessageToDeadLetterQueueResponse> {
        self.serve_forward_message_to_dead_letter_queue(request)
            .await
    }

    type PullMessageStream = BoxStream<PullMessageResponse>;

    async fn pull_message(
        &self,
        request: Request<PullMessageRequest>,
    ) -> GrpcResult<Self::PullMessageStream> {
        pull::pull(self, request).await
    }

    async fn update_offset(
        &self,
        request: Request<UpdateOffsetRequest>,
    ) -> GrpcResult<UpdateOffsetResponse> {
        pull::update_offset(self, request).await
    }

    async fn get_offset(
        &self,
        request: Request<GetOffsetRequest>,
    ) -> GrpcResult<GetOffsetResponse> {
        pull::get_offset(self, request).await
    }

    async fn query_offset(
        &self,
        request: Request<QueryOffsetRequest>,
    ) -> GrpcResult<QueryOffsetResponse> {
        pull::query_offset(self, request).await
    }

    async fn end_transaction(
        &self,
        request: Request<EndTransactionRequest>,
    ) -> GrpcResult<EndTransactionResponse> {
        self.serve_end_transaction(request).await
    }

    type TelemetryStream = BoxStream<TelemetryCommand>;

    async fn telemetry(
        &self,
        request: Request<Streaming<TelemetryCommand>>,
    ) -> GrpcResult<Self::TelemetryStream> {
        self.serve_telemetry(request).await
    }

    async fn notify_client_termination(
        &self,
        request: Request<NotifyClientTerminationRequest>,
    ) -> GrpcResult<NotifyClientTerminationResponse> {
        self.serve_notify_client_termination(request).await
    }

    async fn change_invisible_duration(
        &self,
        request: Request<ChangeInvisibleDurationRequest>,
    ) -> GrpcResult<ChangeInvisibleDurationResponse> {
        self.serve_change_invisible_duration(request).await
    }

    async fn recall_message(
        &self,
        request: Request<RecallMessageRequest>,
    ) -> GrpcResult<RecallMessageResponse> {
        self.serve_recall_message(request).await
    }

    async fn sync_lite_subscription(
        &self,
        request: Request<SyncLiteSubscriptionRequest>,
    ) -> GrpcResult<SyncLiteSubscriptionResponse> {
        self.serve_sync_lite_subscription(request).await
    }
}
