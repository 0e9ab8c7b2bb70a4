//! EndTransaction: commit or roll back a half message.

use super::*;
use crate::store::journal::{self};
use crate::validate::texts;
use rmq_proto::v2::{self, *};
use rmq_proto::{Code, Rpc};
use tonic::Request;

impl Service {
    pub(crate) async fn serve_end_transaction(
        &self,
        request: Request<EndTransactionRequest>,
    ) -> GrpcResult<EndTransactionResponse> {
        let rpc = Rpc::EndTransaction;
        let (metadata, _, request) = request.into_parts();
        let result = async {
            self.admit(rpc, &metadata).await?;
            let topic = resource_name(request.topic.as_ref());
            self.topic(topic)?;
            if request.transaction_id.trim().is_empty() {
                return Err(status(
                    Code::InvalidTransactionId,
                    texts::TRANSACTION_ID_EMPTY,
                ));
            }
            let decision = match TransactionResolution::try_from(request.resolution) {
                Ok(TransactionResolution::Commit) => Some(true),
                Ok(TransactionResolution::Rollback) => Some(false),
                _ => None,
            };
            let (result, flushed) = self.core.execute(journal::EndTransaction {
                topic: topic.to_owned(),
                transaction_id: request.transaction_id.clone(),
                decision: crate::engine::decision(decision),
            });
            self.core.durable(flushed).await?;
            result.map_err(v2::Status::from)
        }
        .await;
        self.core.notify_visible();
        let st = result.map_or_else(|st| st, |()| ok());
        self.reply(rpc, EndTransactionResponse { status: Some(st) })
    }
}
