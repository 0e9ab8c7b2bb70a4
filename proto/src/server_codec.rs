//! The codec of the generated servers: prost's, except for a request frame that does not
//! decode. tonic answers such a frame with INTERNAL; Apache RocketMQ's proxy (grpc-java) answers
//! UNKNOWN, for a unary call and a stream alike (measured against 5.5.0; the scenario suite's
//! `an_undecodable_request_fails_the_call_with_unknown` keeps the two servers to one answer).
//! Clients keep prost's codec: a response they cannot decode stays INTERNAL for them.

use tonic::Status;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};

/// `ProstCodec`, with request decoding failures answered as UNKNOWN.
pub struct ServerCodec<T, U>(ProstCodec<T, U>);

impl<T, U> Default for ServerCodec<T, U> {
    fn default() -> Self {
        ServerCodec(ProstCodec::default())
    }
}

impl<T, U> Codec for ServerCodec<T, U>
where
    T: prost::Message + Send + 'static,
    U: prost::Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = UnknownWhenUndecodable<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.0.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        UnknownWhenUndecodable(self.0.decoder())
    }
}

/// prost's decoder; its failure becomes UNKNOWN, with prost's reason as the message.
pub struct UnknownWhenUndecodable<U>(ProstDecoder<U>);

impl<U: prost::Message + Default> Decoder for UnknownWhenUndecodable<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        self.0
            .decode(src)
            .map_err(|status| Status::unknown(status.message().to_owned()))
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.0.buffer_settings()
    }
}
