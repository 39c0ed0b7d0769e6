"""Input: reading the user's images, videos and keypoint files safely (RGB uint8 out)."""
